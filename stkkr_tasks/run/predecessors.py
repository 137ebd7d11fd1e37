"""A stkkr run on a work pool marks its deployment's runs whose worker died as Crashed when it starts.

The crash automation of `stkkr deploy` (`stkkr_tasks.deploy.crashes`) does this from missed heartbeats, but
Prefect's proactive trigger was seen to miss one of three runs killed together (CI, 2026-12-06), which left
that run Running for good. A stkkr's deployment runs one at a time, so when one of its runs starts, another
of them still Running with no event (heartbeat, state) for `SILENT_SECONDS` has lost its worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import get_client, get_run_logger
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events.filters import EventAnyResourceFilter, EventFilter, EventOccurredFilter
from prefect.states import Crashed

SILENT_SECONDS = 90
"""Three missed heartbeats of 30 s, as the crash automation counts them."""


async def crash_silent_predecessors(flow_run: FlowRun, *, now: datetime | None = None) -> list[str]:
    """Mark the other Running runs of this run's deployment Crashed when nothing was heard of them lately.

    Only runs started from a work pool are looked at: their workers send heartbeats, so silence means death.

    Returns:
        The ids of the runs marked Crashed.
    """
    if flow_run.deployment_id is None or flow_run.work_pool_name is None:
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=SILENT_SECONDS)
    crashed: list[str] = []
    async with get_client() as client:
        running = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[flow_run.deployment_id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
                id=FlowRunFilterId(not_any_=[flow_run.id]),
            )
        )
        for run in running:
            if run.start_time is not None and run.start_time > cutoff:
                continue
            recent = await client.read_events(
                EventFilter(
                    occurred=EventOccurredFilter(since=cutoff),
                    any_resource=EventAnyResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
                ),
                limit=1,
            )
            if recent.events:
                continue
            message = f"Silent for {SILENT_SECONDS} s when the next run started: its worker died."
            await client.set_flow_run_state(run.id, Crashed(message=message), force=True)
            crashed.append(str(run.id))
    return crashed


async def crash_dead_predecessors(flow_run: FlowRun) -> None:
    """`crash_silent_predecessors`, told in the run's log; a failure to look does not stop the run."""
    logger = get_run_logger()
    try:
        crashed = await crash_silent_predecessors(flow_run)
    except Exception as exc:  # housekeeping for earlier runs: this run goes on without it
        logger.warning("Could not look for earlier runs whose worker died (%s).", type(exc).__name__)
        return
    if crashed:
        logger.warning("Marked %d earlier run(s) of this stkkr Crashed: their worker died.", len(crashed))
