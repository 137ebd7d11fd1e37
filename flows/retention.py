"""The retention flow `prune-error-records`: deletes error records older than the retention period.

It also deletes the run-once keys of stkkrs that no longer exist (no deployment, no run for 30 days).

Error records (with their encrypted payloads) and the failed-rows artifacts that list them in the Prefect UI
are kept at most 30 days; the period can be set shorter, never
longer. Optionally the flow also deletes Prefect's own finished flow runs (and with them their task runs and
logs) older than a number of days, so a customer can bound what Prefect keeps as well. It reports counts
only. `retention_deployment()` gives the nightly deployment (03:00 Europe/Amsterdam, one run at a time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, get_client, task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.states import Completed, State
from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from stkkr_tasks.deploy.retention import PruneCounts, prune_flow_runs, prune_stkkr_database
from stkkr_tasks.run.artifacts import prune_failure_artifacts
from stkkr_tasks.store import MAX_RETENTION_DAYS, retention_cutoff

ARTIFACT_KEY = "prune-error-records"
NIGHTLY_CRON = "0 3 * * *"
NIGHTLY_TIMEZONE = "Europe/Amsterdam"


class RetentionCounts(TypedDict):
    """What a retention run deleted (or, on a dry run, would delete): counts only."""

    error_records: int
    run_once_keys: int
    failure_artifacts: int
    flow_runs: int | None
    dry_run: bool
    days: int
    cutoff: str


_COUNTS = TypeAdapter(RetentionCounts)


@task(name="prune-stkkr-database", cache_policy=NO_CACHE, persist_result=False)
async def prune_store(days: int, batch_size: int, dry_run: bool, now: datetime) -> PruneCounts:
    """Delete (or, on a dry run, count) old error records and the run-once keys of vanished stkkrs."""
    return await prune_stkkr_database(days, batch_size=batch_size, dry_run=dry_run, now=now)


@task(name="prune-failed-rows-artifacts", cache_policy=NO_CACHE, persist_result=False)
async def prune_failure_artifacts_task(before: datetime, dry_run: bool) -> int:
    """Delete (or count) the failed-rows artifacts of runs (`failed-rows-<stkkr>`) created before `before`."""
    async with get_client() as client:
        return await prune_failure_artifacts(client, before, dry_run)


@task(name="prune-prefect-history", cache_policy=NO_CACHE, persist_result=False)
async def prune_prefect_history(before: datetime, dry_run: bool, flows: list[str] | None = None) -> int:
    """Delete (or count) finished Prefect flow runs that started before `before` (of `flows`, or of all)."""
    return await prune_flow_runs(before, dry_run=dry_run, flows=flows)


@flow(
    name="prune-error-records",
    description="Delete error records older than the retention period (at most 30 days).",
    persist_result=False,  # a refused run's exception must not be pickled into result storage
)
async def prune_error_records(
    days: int = MAX_RETENTION_DAYS,
    batch_size: int = 10_000,
    dry_run: bool = False,
    prefect_history_days: int | None = None,
    prefect_history_flows: list[str] | None = None,
    now: datetime | None = None,
) -> State[RetentionCounts]:
    """Delete error records (and their payloads) older than `days`; optionally prune Prefect's history too.

    Args:
        days: Retention period in days, 1 to 30; a longer period is refused.
        batch_size: Records deleted per transaction.
        dry_run: Only count what would be deleted.
        prefect_history_days: When set, also delete Prefect flow runs (with their logs) that finished and
            started more than this many days ago. Off by default.
        prefect_history_flows: Limit that pruning to runs of these flows (by name); default: all flows.
        now: The current time (for tests); default: the clock.

    Returns:
        A Completed state whose message reports the counts and whose result is the `RetentionCounts`
        (calling the flow returns the counts themselves; `arun_retention` says so in its type).
    """
    now = now or datetime.now(UTC)
    cutoff = retention_cutoff(days, now)
    if prefect_history_days is not None and prefect_history_days < 1:
        raise ValueError(f"prefect_history_days must be at least 1, not {prefect_history_days}")
    pruned = await prune_store(days, batch_size, dry_run, now)
    artifacts = await prune_failure_artifacts_task(cutoff, dry_run)
    flow_runs = None
    if prefect_history_days is not None:
        history_cutoff = now - timedelta(days=prefect_history_days)
        flow_runs = await prune_prefect_history(history_cutoff, dry_run, prefect_history_flows)
    counts: RetentionCounts = {
        "error_records": pruned.error_records,
        "run_once_keys": pruned.run_once_keys,
        "failure_artifacts": artifacts,
        "flow_runs": flow_runs,
        "dry_run": dry_run,
        "days": days,
        "cutoff": cutoff.isoformat(),
    }
    message, table = _report(counts, prefect_history_days)
    await acreate_table_artifact(table=table, key=ARTIFACT_KEY, description=message)
    return Completed(message=message, data=counts)


async def arun_retention(
    days: int = MAX_RETENTION_DAYS,
    batch_size: int = 10_000,
    dry_run: bool = False,
    prefect_history_days: int | None = None,
) -> RetentionCounts:
    """Run `prune-error-records` once, in this process, and return its counts.

    Args:
        days: Retention period in days, 1 to 30.
        batch_size: Records deleted per transaction.
        dry_run: Only count what would be deleted.
        prefect_history_days: Also delete finished Prefect flow runs older than this (None: off).

    Returns:
        The counts of the run.

    Raises:
        RetentionPeriodError: `days` is outside 1 to 30 (the flow run fails with the same message).
    """
    # Calling a flow that returns a State gives that state's result: the counts (typed as the State).
    result = await prune_error_records(
        days=days, batch_size=batch_size, dry_run=dry_run, prefect_history_days=prefect_history_days
    )
    return _COUNTS.validate_python(result)


def _report(counts: RetentionCounts, prefect_history_days: int | None) -> tuple[str, list[dict[str, Any]]]:
    """The state message and artifact table of a run: counts only."""
    verb = "Would delete" if counts["dry_run"] else "Deleted"
    message = f"{verb} {counts['error_records']} error records older than {counts['days']} days"
    table = [{"what": "error records", "older than (days)": counts["days"], "count": counts["error_records"]}]
    if counts["run_once_keys"]:
        message += f" and {counts['run_once_keys']} run-once keys of stkkrs that no longer exist"
        gone = {
            "what": "run-once keys of stkkrs that no longer exist",
            "older than (days)": MAX_RETENTION_DAYS,
        }
        table.append({**gone, "count": counts["run_once_keys"]})
    if counts["failure_artifacts"]:
        message += f" and {counts['failure_artifacts']} failed-rows artifacts"
    failures = {"what": "failed-rows artifacts", "older than (days)": counts["days"]}
    table.append({**failures, "count": counts["failure_artifacts"]})
    if counts["flow_runs"] is not None:
        message += f" and {counts['flow_runs']} Prefect flow runs older than {prefect_history_days} days"
        row = {"what": "Prefect flow runs", "older than (days)": prefect_history_days}
        table.append({**row, "count": counts["flow_runs"]})
    return message, table


def retention_deployment(
    days: int = MAX_RETENTION_DAYS, prefect_history_days: int | None = None
) -> RunnerDeployment:
    """The nightly deployment of `prune-error-records`: 03:00 Europe/Amsterdam, concurrency limit 1.

    Args:
        days: Retention period of error records (1 to 30).
        prefect_history_days: Also prune Prefect flow runs older than this (None: off).
    """
    retention_cutoff(days)  # refuse a bad period when deploying, not only at 03:00
    parameters: dict[str, Any] = {"days": days}
    if prefect_history_days is not None:
        parameters["prefect_history_days"] = prefect_history_days
    return RunnerDeployment.from_flow(  # what to_deployment does for a flow without remote storage
        flow=prune_error_records,
        name="nightly",
        schedules=[Cron(NIGHTLY_CRON, timezone=NIGHTLY_TIMEZONE)],
        concurrency_limit=1,
        parameters=parameters,
        tags=["stkkr", "retention"],
        description="Nightly retention of the stkkr database: error records older than the retention period.",
    )
