"""Prune the stkkr database: error records past the retention period, run-once keys of vanished stkkrs;
and, when asked, Prefect's own history of finished flow runs.

Used by the retention flow (nightly, and `stkkr retention`); the database prune also at the start of
`stkkr serve`, so a machine that was off at 03:00 still keeps the 30-day promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterId,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound

from stkkr_tasks.store import MAX_RETENTION_DAYS, ErrorStore, retention_cutoff

_PAGE = 200
_TERMINAL = [StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED]


@dataclass(frozen=True)
class PruneCounts:
    """What a prune deleted (or, on a dry run, would delete)."""

    error_records: int
    run_once_keys: int


async def deployed_flow_names() -> set[str]:
    """The names of the flows that have a deployment on the Prefect server: the stkkrs that exist."""

    flow_ids: set[UUID] = set()
    async with get_client() as client:
        offset = 0
        while deployments := await client.read_deployments(offset=offset, limit=_PAGE):
            flow_ids.update(deployment.flow_id for deployment in deployments)
            offset += len(deployments)
        if not flow_ids:
            return set()
        flows = await client.read_flows(flow_filter=FlowFilter(id=FlowFilterId(any_=list(flow_ids))))
    return {flow.name for flow in flows}


async def prune_stkkr_database(
    days: int = MAX_RETENTION_DAYS,
    *,
    batch_size: int = 10_000,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneCounts:
    """Delete error records older than `days` and the run-once keys of stkkrs that no longer exist.

    A stkkr no longer exists when it has no deployment on the Prefect server and has not run for 30 days
    (whatever `days` is: the keys guard writes, they are no personal data). The period is remembered, so
    `stkkr errors list/show` hide older records even before the next prune.

    Args:
        days: Retention period of error records, 1 to 30 days.
        batch_size: Error records deleted per transaction.
        dry_run: Only count.
        now: The current time (for tests); default: the clock.

    Raises:
        RetentionPeriodError: `days` is outside 1 to 30.
    """
    now = now or datetime.now(UTC)
    cutoff = retention_cutoff(days, now)
    keep = await deployed_flow_names()
    keys_cutoff = retention_cutoff(MAX_RETENTION_DAYS, now)
    async with ErrorStore() as store:
        if dry_run:
            records = await store.count_errors(before=cutoff)
        else:
            await store.set_retention_days(days)
            records = await store.prune(cutoff, batch_size=batch_size)
        keys = await store.prune_run_once_keys(keys_cutoff, keep, dry_run=dry_run)
    return PruneCounts(error_records=records, run_once_keys=keys)


async def prune_flow_runs(before: datetime, *, dry_run: bool = False, flows: list[str] | None = None) -> int:
    """Delete (or count) Prefect flow runs that started before `before` and are finished.

    The Prefect server deletes a flow run's task runs and logs with it.

    Args:
        before: Runs that started before this moment are deleted.
        dry_run: Only count them.
        flows: Only runs of these flows (by name); None: runs of every flow.

    Returns:
        How many were (or would be) deleted.
    """
    flow_filter = FlowFilter(name=FlowFilterName(any_=flows)) if flows is not None else None
    run_filter = FlowRunFilter(
        start_time=FlowRunFilterStartTime(before_=before),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_TERMINAL)),
    )
    async with get_client() as client:
        if dry_run:
            return await client.count_flow_runs(flow_filter=flow_filter, flow_run_filter=run_filter)
        deleted = 0
        while runs := await client.read_flow_runs(
            flow_filter=flow_filter, flow_run_filter=run_filter, sort=FlowRunSort.START_TIME_ASC, limit=_PAGE
        ):
            for run in runs:
                try:
                    await client.delete_flow_run(run.id)
                except ObjectNotFound:  # deleted by a concurrent run of this flow
                    continue
                deleted += 1
        return deleted
