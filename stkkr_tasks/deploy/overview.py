"""The ``stkkr-overview`` markdown artifact: every stkkr at a glance, updated after each run.

One line per stkkr (deployed, or run in the last runs Prefect knows): tenant, schedule, the last run's state
and counts, failed rows of the runs of the last 24 hours, and the next scheduled run. Counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from prefect import get_client
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort

from stkkr_tasks.deploy.history import TAG_PREFIX, RunRecord, _stkkr_runs, records, stkkr_of
from stkkr_tasks.deploy.schedules import Schedule, describe
from stkkr_tasks.run.naming import local_time
from stkkr_tasks.store.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.responses import DeploymentResponse

    from stkkr_tasks.run.summary import RunSummary

KEY = "stkkr-overview"
"""The artifact key of the overview."""

RECENT_RUNS = 200
"""How many of the latest stkkr runs the overview reads."""

_TENANT = "tenant:"
_COLUMNS = (
    "stkkr",
    "tenant",
    "schedule",
    "last run",
    "state",
    "read",
    "written",
    "failed",
    "failed in 24 h",
    "next run",
)


@dataclass(frozen=True)
class OverviewLine:
    """One stkkr in the overview.

    Attributes:
        stkkr: Its name.
        tenant: Its tenant.
        schedule: Its schedule in words (``manual`` when it has none, ``not deployed`` without deployment).
        last: Its latest run, if any.
        failed_24h: Failed rows of its (not dry) runs that started in the last 24 hours.
        next_run: When its next scheduled run starts, if one is scheduled.
    """

    stkkr: str
    tenant: str
    schedule: str
    last: RunRecord | None = None
    failed_24h: int = 0
    next_run: datetime | None = None


async def overview_lines(
    client: PrefectClient, current: RunSummary | None = None, now: datetime | None = None
) -> list[OverviewLine]:
    """The overview, one line per stkkr, sorted by name.

    Args:
        client: An open Prefect client.
        current: The summary of the run that is ending now (its flow run is still Running in Prefect).
        now: The current time (tests); default the clock.

    Returns:
        The lines.
    """
    now = now or datetime.now(UTC)
    lines: dict[str, OverviewLine] = {}
    deployments = [d for d in await client.read_deployments() if _tag(d.tags, TAG_PREFIX)]
    for deployment in deployments:
        name = _tag(deployment.tags, TAG_PREFIX) or deployment.name
        schedules: list[Schedule] = [s.schedule for s in deployment.schedules if s.active]  # type: ignore[misc]
        tenant = _tag(deployment.tags, _TENANT) or DEFAULT_TENANT
        lines[name] = OverviewLine(
            name, tenant, describe(schedules), next_run=await _next_run(client, deployment)
        )
    runs = await _stkkr_runs(client, None, RECENT_RUNS)
    for run, record in zip(runs, await records(client, runs), strict=True):
        if current is not None and record.summary.flow_run_id == current.flow_run_id:
            record = replace(record, summary=current, state_name=current.state, has_counts=True)
        name = stkkr_of(run)
        line = lines.get(name) or OverviewLine(
            name, _tag(run.tags, _TENANT) or DEFAULT_TENANT, "not deployed"
        )
        if line.last is None:
            line = replace(line, last=record)
        if record.started and record.started >= now - timedelta(hours=24) and not record.summary.dry_run:
            line = replace(line, failed_24h=line.failed_24h + record.summary.failed)
        lines[name] = line
    return [lines[name] for name in sorted(lines)]


def overview_markdown(lines: list[OverviewLine], now: datetime) -> str:
    """The overview as a markdown table (counts only)."""
    out = [
        f"### stkkrs on {local_time(now)} (Europe/Amsterdam)",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    for line in lines:
        last = line.last
        if last is None:
            run_cells = ["never", "", "", "", ""]
        else:
            s = last.summary
            when = local_time(last.started) if last.started else ""
            written = f"{s.would_write} (dry run)" if s.dry_run else str(s.written)
            run_cells = [when, last.state_name, str(s.read), written, str(s.failed)]
        next_run = local_time(line.next_run) if line.next_run else ""
        cells = [line.stkkr, line.tenant, line.schedule, *run_cells, str(line.failed_24h), next_run]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


async def update_overview(current: RunSummary | None = None) -> None:
    """Create the next version of the ``stkkr-overview`` artifact (call it inside a flow run)."""

    now = datetime.now(UTC)
    async with get_client() as client:
        lines = await overview_lines(client, current, now)
    await acreate_markdown_artifact(
        markdown=overview_markdown(lines, now),
        key=KEY,
        description="Every stkkr: last run, failed rows, next run",
    )


async def _next_run(client: PrefectClient, deployment: DeploymentResponse) -> datetime | None:
    runs = await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
        ),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=1,
    )
    return runs[0].expected_start_time if runs else None


def _tag(tags: list[str], prefix: str) -> str | None:
    """The value of the first tag ``<prefix><value>``, if any."""
    return next((tag[len(prefix) :] for tag in tags if tag.startswith(prefix)), None)
