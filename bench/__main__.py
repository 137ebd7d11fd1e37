"""`python -m bench`: stkkr's throughput and memory against the `naive` and async baselines, in one run.

A simulator (its own process, fixed latency per request) and stkkr's local Prefect server (`stkkr server
start` under a temporary STKKR_HOME, then reused by every command, as on a user's machine) are started; the
everyday commands are timed warm (`bench.cli`); `naive`, `async8-paged` and `async8` (each a process of its
own, `bench.async8`) and `stkkr run` then do the same workload on the same simulator. A memory scenario runs
the stkkr with a 1% filter on two simulator sizes; a batch scenario runs it with `update.batch` 1 and 50
(and 50 with refused elements: refused by the metainfo, and by AFAS's rule) on a simulator that charges per
element too (`--only-batch` runs that scenario alone); an upload scenario runs it on a CSV file of the
simulator's rows (`input:`), and with the 1% filter on two CSV sizes. `--cli` times only the everyday
commands. The report is printed and appended to bench/RESULTS.md (or `--results FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.async8 import run_async8_process
from bench.batch import run_batches
from bench.cli import time_commands
from bench.cpu import measure_cpu
from bench.harness import PrefectServer, SimulatorProcess, machine
from bench.naive import run_naive
from bench.reach import probe_reach
from bench.report import BatchRun, Report, Round, Settings, StkkrRun, append
from bench.stkkr_run import run_stkkr, set_connection
from bench.upload import run_uploads
from bench.workload import HALF, ONE_PERCENT

RESULTS = Path(__file__).with_name("RESULTS.md")
#: PUTs of the reach probe (`bench.reach`): enough for a steady rate, few enough to take seconds.
REACH_UPDATES = 4_000
#: --quick: a smoke run of every step in seconds (a test uses it; its figures mean nothing).
QUICK = {
    "rows": 200,
    "latency_ms": 1,
    "page_size": 50,
    "naive_rows": 50,
    "memory_rows": [200, 400],
    "batch_rows": 300,
    "element_ms": 1,
    "upload_rows": [200, 400],
    "cli_repeats": 1,
    "rounds": 2,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: sizes, latency, concurrency, page size, where the report goes."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the throughput run (20,000)")
    parser.add_argument("--latency-ms", type=int, default=20, help="simulator latency per request (20)")
    parser.add_argument("--concurrency", type=int, default=8, help="async8's calls in flight (8)")
    parser.add_argument("--page-size", type=int, default=500, help="rows per GetConnector page (500)")
    parser.add_argument("--naive-rows", type=int, default=2_000, help="rows the naive script reads (2,000)")
    parser.add_argument(
        "--memory-rows",
        type=int,
        nargs=2,
        default=[20_000, 200_000],
        metavar=("SMALL", "LARGE"),
        help="rows of the two memory runs; 0 0 skips them",
    )
    parser.add_argument(
        "--batch-rows", type=int, default=10_000, help="rows of the batch scenario (10,000); 0 skips it"
    )
    parser.add_argument(
        "--upload-rows",
        type=int,
        nargs=2,
        default=[100_000, 1_000_000],
        metavar=("SMALL", "LARGE"),
        help="rows of the two CSV upload memory runs; 0 0 skips the upload scenario",
    )
    parser.add_argument("--element-ms", type=int, default=2, help="batch scenario: cost per element (2)")
    parser.add_argument("--batch-size", type=int, default=50, help="batch scenario: elements per request")
    parser.add_argument(
        "--prefect-api",
        metavar="URL",
        help="use this running Prefect server (http://…/api) instead of stkkr's local server",
    )
    parser.add_argument("--cli", action="store_true", help="time only the everyday commands (warm)")
    parser.add_argument(
        "--only-batch",
        action="store_true",
        help="run the batch scenario only (no contenders, no memory or upload runs)",
    )
    parser.add_argument(
        "--cli-repeats", type=int, default=5, help="measured runs of each everyday command (5); 0 skips them"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of async8-paged, async8 and stkkr, alternating; the median round is reported (3)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and latency: a smoke run")
    parser.add_argument("--results", type=Path, default=RESULTS, help="file the report is appended to")
    parser.add_argument("--note", default="", help="a note in the report's title (e.g. 'before fix X')")
    args = parser.parse_args(argv)
    if args.quick:
        vars(args).update(QUICK)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


_STARTED = time.monotonic()


def progress(text: str) -> None:
    """Tell the operator what the benchmark is doing (stderr, so stdout holds only the report)."""
    print(f"bench [{time.monotonic() - _STARTED:6.1f} s]: {text}", file=sys.stderr, flush=True)


def benchmark(args: argparse.Namespace, folder: Path) -> Report:
    """Run every contender and scenario (or, with `--cli`, the everyday commands only); returns the report."""
    settings = Settings(
        args.rows,
        args.latency_ms,
        args.concurrency,
        args.page_size,
        args.naive_rows,
        tuple(args.memory_rows),
        args.note,
        args.batch_rows,
        args.element_ms,
        tuple(args.upload_rows),
    )
    server = PrefectServer(folder, args.prefect_api)
    report = Report(settings, machine(), server.where())
    progress("starting the Prefect server")
    with contextlib.ExitStack() as children:
        children.callback(server.stop)
        server.start()
        if args.cli_repeats:
            progress(f"the everyday commands, {args.cli_repeats} times each")
            report.cli = time_commands(server, folder, repeats=args.cli_repeats, latency_ms=args.latency_ms)
        if args.cli:
            return report
        if args.only_batch:
            report.batches = _batches(server, folder, args)
            return report
        progress(f"starting the simulator with {args.rows:,} rows")
        sim = children.enter_context(SimulatorProcess(folder, rows=args.rows, latency_ms=args.latency_ms))
        set_connection(server, sim)
        progress(f"naive on {min(args.naive_rows, args.rows):,} rows")
        with measure_cpu(sim.pgid, server.pgid) as cpu:
            naive = run_naive(
                sim.base_url, sim.token, keep=HALF, page_size=args.page_size, max_rows=args.naive_rows
            )
        report.naive = replace(naive, cpu=cpu)
        report.rounds = [_round(server, sim, args, number) for number in range(1, args.rounds + 1)]
        progress("the reach probe")
        kept = report.rounds[0].async8.kept
        report.reach = asyncio.run(
            probe_reach(
                sim.base_url, sim.token, updates=min(kept, REACH_UPDATES), concurrency=args.concurrency
            )
        )
        if all(args.upload_rows):
            sizes = (args.upload_rows[0], args.upload_rows[1])
            report.uploads = run_uploads(
                server, sim, sizes=sizes, page_size=args.page_size, progress=progress
            )
        report.memory = _memory(server, sim, args) if all(args.memory_rows) else []
        if args.batch_rows:
            sim.stop()  # one simulator at a time: the machine's cores go to the measured run
            report.batches = _batches(server, folder, args)
    return report


def _round(server: PrefectServer, sim: SimulatorProcess, args: argparse.Namespace, number: int) -> Round:
    """async8-paged, async8 and stkkr, one after the other, on the throughput workload."""
    of = f"round {number} of {args.rounds}: " if args.rounds > 1 else ""
    progress(f"{of}async8-paged on {args.rows:,} rows")
    with measure_cpu(sim.pgid, server.pgid) as cpu:
        paged = run_async8_process(sim, page_size=args.page_size, concurrency=args.concurrency, paged=True)
    progress(f"{of}async8 on {args.rows:,} rows")
    with measure_cpu(sim.pgid, server.pgid) as async8_cpu:
        async8 = run_async8_process(sim, page_size=args.page_size, concurrency=args.concurrency)
    progress(f"{of}stkkr on {args.rows:,} rows")
    with measure_cpu(sim.pgid, server.pgid) as stkkr_cpu:
        stkkr = run_stkkr(server, name="bench-throughput", keep=HALF, page_size=args.page_size)
    return Round(
        replace(paged, cpu=cpu),
        replace(async8, cpu=async8_cpu),
        replace(stkkr, throughput=replace(stkkr.throughput, cpu=stkkr_cpu)),
    )


def _batches(server: PrefectServer, folder: Path, args: argparse.Namespace) -> list[BatchRun]:
    """The batch scenario on its own simulator."""
    progress(f"batch: stkkr with batch 1 and {args.batch_size} on {args.batch_rows:,} rows")
    return run_batches(
        server,
        folder,
        rows=args.batch_rows,
        latency_ms=args.latency_ms,
        element_ms=args.element_ms,
        size=args.batch_size,
        page_size=args.page_size,
    )


def _memory(server: PrefectServer, sim: SimulatorProcess, args: argparse.Namespace) -> list[StkkrRun]:
    """The stkkr with a 1% filter on each memory size (the throughput simulator is reused when it fits)."""
    runs = []
    for rows in args.memory_rows:
        progress(f"memory: stkkr on {rows:,} rows, keeping about 1%")
        fresh = rows != sim.rows
        if fresh:
            sim.stop()  # one simulator at a time: the machine's cores go to the measured run
            sim = SimulatorProcess(server.folder, rows=rows, latency_ms=args.latency_ms)
        with sim:
            if fresh:  # the reused one's connection is saved already
                set_connection(server, sim)
            runs.append(
                run_stkkr(server, name=f"bench-memory-{rows}", keep=ONE_PERCENT, page_size=args.page_size)
            )
    return runs


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, print the report and append it to the results file."""
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="stkkr-bench-") as folder:
        report = benchmark(args, Path(folder))
    text = report.markdown()
    print(text)
    append(args.results, text)
    progress(f"appended to {args.results}")


if __name__ == "__main__":
    main()
