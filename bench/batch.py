"""The batch scenario: the stkkr with `update.batch` 1 and 50, and 50 with refused elements.

Two refusal rates: 1% of the elements (1 in 100: about 40% of the batches of 50 hold one), and 1% of the
batches (1 element in 5,000); and two kinds of refusal at each rate: a value the UpdateConnector's metainfo
refuses (a date that is none: stkkr finds it before sending), and AFAS's own rule (the record to update does
not exist: no metainfo tells, so AFAS refuses the batch and stkkr splits it to find the element).

Its own simulator charges a cost per request (`latency_ms`) and per element (`element_ms`, for a message that
passes AFAS's checks of the metainfo, so also for one refused by a rule), so that one request carrying 50
elements costs what AFAS's time per record makes it cost. Every row is kept, so the runs measure the writing,
not the filter.
"""

from __future__ import annotations

from pathlib import Path

from bench.harness import PrefectServer, SimulatorProcess
from bench.report import BatchRun
from bench.stkkr_run import run_stkkr, set_connection
from bench.workload import ALL

#: The refused runs: one row in this many is refused (1% of the elements; about 1% of the batches of 50).
REFUSE_ONE_IN = (100, 5_000)
#: What refuses them: the metainfo (found before sending), or AFAS's rule (found by splitting the batch).
REFUSALS = ("metainfo", "rule")


def run_batches(
    server: PrefectServer,
    folder: Path,
    *,
    rows: int,
    latency_ms: int,
    element_ms: int,
    size: int,
    page_size: int,
) -> list[BatchRun]:
    """Run the batch contenders on one simulator: batch 1, batch `size`, then `size` with each refusal rate,
    refused by the metainfo and by AFAS's rule.

    Args:
        server: The Prefect server the runs report to.
        folder: Where the simulator's log goes.
        rows: Rows of the simulator (all are updated).
        latency_ms: Cost of every request.
        element_ms: Cost of every element of an accepted message.
        size: Elements per request of the batched runs.
        page_size: Rows per GetConnector page.
    """
    runs = []
    with SimulatorProcess(folder, rows=rows, latency_ms=latency_ms, element_ms=element_ms) as sim:
        set_connection(server, sim)
        refused = [(size, one_in, refusal) for refusal in REFUSALS for one_in in REFUSE_ONE_IN]
        for batch, refuse_one_in, refusal in ((1, 0, ""), (size, 0, ""), *refused):
            name = f"bench-batch-{batch}" + (f"-{refusal}-{refuse_one_in}" if refuse_one_in else "")
            run = run_stkkr(
                server,
                name=name,
                keep=ALL,
                page_size=page_size,
                batch=batch,
                refuse_one_in=refuse_one_in,
                refusal=refusal,
            )
            runs.append(BatchRun(batch, refuse_one_in, run, refusal or "metainfo"))
    return runs
