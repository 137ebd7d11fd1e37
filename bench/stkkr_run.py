"""The `stkkr` contender: `stkkr run FILE --json` of the workload's stkkr file, in a subprocess, via Prefect.

The connection block is saved with `stkkr connection set` (token on stdin). The run's peak RSS comes from
`os.wait4` (the largest resident set of the process and the descendants it waited for); its Prefect task
runs are counted through the Prefect client afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.harness import PrefectServer, SimulatorProcess
from bench.report import StkkrRun, Throughput
from bench.workload import Keep, stkkr_text

CONNECTION = "bench-simulator"
_SETTLE_S = 0.5
_SETTLE_TIMEOUT_S = 60.0


def _stkkr() -> str:
    return str(Path(sys.executable).with_name("stkkr"))


def set_connection(server: PrefectServer, sim: SimulatorProcess) -> None:
    """Save (or update) the AfasConnection block that points at the simulator.

    Raises:
        RuntimeError: `stkkr connection set` failed (its output is included; it never shows the token).
    """
    done = subprocess.run(
        [_stkkr(), "connection", "set", CONNECTION, "--base-url", sim.base_url, "--token-file", "-"],
        input=sim.token,
        text=True,
        capture_output=True,
        env=server.client_env(),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"stkkr connection set failed ({done.returncode}): {done.stdout}{done.stderr}")


def run_stkkr(
    server: PrefectServer,
    *,
    name: str,
    keep: Keep,
    page_size: int,
    batch: int = 1,
    refuse_one_in: int = 0,
    upload: Path | None = None,
) -> StkkrRun:
    """Write the workload's stkkr file, run it with `stkkr run --json`, and collect its figures.

    Args:
        server: The Prefect server the run reports to (the connection block is saved there).
        name: The stkkr's name (one per scenario, so the runs are easy to tell apart in the UI).
        keep: The filter threshold.
        page_size: Rows per GetConnector page.
        batch: Elements per request (`update.batch`).
        refuse_one_in: When above 0, one row in this many is refused by AFAS.
        upload: A CSV file of the workload's columns to read (`--input`) instead of the GetConnector.

    Returns:
        The run's throughput, wall time, task runs and peak RSS.

    Raises:
        RuntimeError: The run did not complete (its exit status and the tail of its output are included).
    """
    folder = server.folder
    path = folder / f"{name}.yaml"
    text = stkkr_text(
        name, CONNECTION, keep, page_size, batch=batch, refuse_one_in=refuse_one_in, upload=upload is not None
    )
    path.write_text(text, encoding="utf-8")
    out_path, err_path = folder / f"{name}.json", folder / f"{name}.log"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [_stkkr(), "run", str(path), "--json", *(["--input", str(upload)] if upload else [])],
            stdout=out,
            stderr=err,
            env=server.client_env(),
            cwd=folder,
        )
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(encoding="utf-8").strip()
    if process.returncode not in (0, 1) or not text:  # 1: completed, some rows refused (on purpose)
        tail = "\n".join(err_path.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"stkkr run exited with {process.returncode}: {text}\n{tail}")
    summary = json.loads(text.splitlines()[-1])
    read, filtered_out = summary["read"], summary["filtered_out"]
    throughput = Throughput(
        "stkkr",
        read,
        read - filtered_out - summary["skipped"],
        summary["written"],
        summary["failed"],
        summary["duration_s"],
    )
    task_runs = asyncio.run(count_task_runs(server.api_url, summary["flow_run_id"]))
    return StkkrRun(
        throughput, wall, task_runs, pages=read // page_size + 1, peak_rss_mib=usage.ru_maxrss / 1024
    )  # Linux reports KiB


async def count_task_runs(api_url: str, flow_run_id: str) -> int:
    """The task runs of a flow run, once the server has recorded them all.

    The server records task runs from the events the run sent, a moment after the run ended; the count is
    read until it stops changing.
    """
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs_of = FlowRunFilter(id=FlowRunFilterId(any_=[uuid.UUID(flow_run_id)]))
    deadline = time.monotonic() + _SETTLE_TIMEOUT_S
    last = -1
    async with PrefectClient(api=api_url) as client:
        while True:
            count, offset = 0, 0
            while page := await client.read_task_runs(flow_run_filter=runs_of, limit=200, offset=offset):
                count += len(page)
                offset += len(page)
            if (count == last and count > 0) or time.monotonic() > deadline:
                return count
            last = count
            await asyncio.sleep(_SETTLE_S)
