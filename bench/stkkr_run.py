"""The `stkkr` contender: `stkkr run FILE --json` of the workload's stkkr file, in a subprocess, via Prefect.

The connection block is saved with `stkkr connection set` (token on stdin). The run's whole-process time and
peak RSS come from `os.wait4` (`bench.process`); its Prefect task runs are counted through the Prefect
client afterwards.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

from bench.harness import PrefectServer, SimulatorProcess, stkkr_command
from bench.process import run_measured
from bench.report import StkkrRun, Throughput
from bench.workload import Keep, stkkr_text

CONNECTION = "bench-simulator"
_SETTLE_S = 0.5
_SETTLE_TIMEOUT_S = 60.0


def save_connection(sim: SimulatorProcess, name: str = CONNECTION) -> list[str]:
    """The `stkkr connection set` command that saves the block `name` for the simulator (token on stdin)."""
    return stkkr_command("connection", "set", name, "--base-url", sim.base_url, "--token-file", "-")


def set_connection(server: PrefectServer, sim: SimulatorProcess) -> None:
    """Save (or update) the AfasConnection block that points at the simulator.

    Raises:
        RuntimeError: `stkkr connection set` failed (its output is included; it never shows the token).
    """
    done = run_measured(save_connection(sim), server.client_env(), stdin=sim.token)
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
    refusal: str = "metainfo",
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
        refusal: What refuses it (`workload.stkkr_text`): `metainfo` or `rule`.

    Returns:
        The run's throughput, wall time, task runs and peak RSS.

    Raises:
        RuntimeError: The run did not complete (its exit status and the tail of its output are included).
    """
    folder = server.folder
    path = folder / f"{name}.yaml"
    text = stkkr_text(
        name,
        CONNECTION,
        keep,
        page_size,
        batch=batch,
        refuse_one_in=refuse_one_in,
        upload=upload is not None,
        refusal=refusal,
    )
    path.write_text(text, encoding="utf-8")
    done = run_measured(
        stkkr_command("run", str(path), "--json", *(["--input", str(upload)] if upload else [])),
        server.client_env(),
        cwd=folder,
    )
    out = done.stdout.strip()
    if done.returncode not in (0, 1) or not out:  # 1: completed, some rows refused (on purpose)
        tail = "\n".join(done.stderr.splitlines()[-20:])
        raise RuntimeError(f"stkkr run exited with {done.returncode}: {out}\n{tail}")
    summary = json.loads(out.splitlines()[-1])
    read, filtered_out = summary["read"], summary["filtered_out"]
    throughput = Throughput(
        "stkkr",
        read,
        read - filtered_out - summary["skipped"],
        summary["written"],
        summary["failed"],
        summary["duration_s"],
        process_s=done.wall_s,
    )
    task_runs = asyncio.run(count_task_runs(server.api_url, summary["flow_run_id"]))
    return StkkrRun(throughput, task_runs, pages=read // page_size + 1, peak_rss_mib=done.peak_rss_mib)


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
