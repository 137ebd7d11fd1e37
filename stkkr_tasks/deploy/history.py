"""`stkkr history`: the last runs of a stkkr (or of all stkkrs) from Prefect, with their summary counts.

Runs are found by the tag ``stkkr:<name>`` that every stkkr run carries (deployment runs, ``stkkr run`` and
``trigger`` alike). The counts, and whether it was a dry run, come from the run's ``stkkr-<name>`` table
artifact, which the flow writes when it ends, by field name; a run that crashed before that (or ran before
the artifact carried field names) has a summary without counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterTags,
)
from prefect.client.schemas.sorting import FlowRunSort
from prefect.utilities.asyncutils import run_coro_as_sync

from stkkr_tasks.run.summary import RunSummary

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun

TAG_PREFIX = "stkkr:"
_PAGE = 200
_MAX_PAGES = 10


@dataclass(frozen=True)
class RunRecord:
    """One run in a stkkr's history.

    Attributes:
        summary: Its summary (``state`` is Completed or Failed; counts are 0 when the run left none).
        run_name: Prefect's name of the flow run.
        state_name: Prefect's state name (Completed, Failed, Running, Crashed, ...).
        started: When it started (UTC), if it did.
        has_counts: True when the counts were read from the run's summary artifact.
    """

    summary: RunSummary
    run_name: str
    state_name: str
    started: datetime | None
    has_counts: bool

    def to_json(self) -> dict[str, Any]:
        """The record as ``stkkr history --json`` prints it."""
        return {
            **self.summary.to_json(),
            "state": self.state_name,
            "run_name": self.run_name,
            "started": self.started.isoformat() if self.started else None,
            "message": self.summary.message,
            "dry_run": self.summary.dry_run,
        }


async def ahistory(name: str | None = None, limit: int = 10) -> list[RunRecord]:
    """The last ``limit`` started runs of stkkr ``name`` (or of every stkkr), newest first.

    Args:
        name: The stkkr; None for all stkkrs.
        limit: How many runs at most.

    Returns:
        The runs with their summaries.
    """

    async with get_client() as client:
        runs = await _stkkr_runs(client, name, limit)
        return await records(client, runs)


def history(name: str | None = None, limit: int = 10) -> list[RunRecord]:
    """Synchronous :func:`ahistory`.

    Args:
        name: The stkkr; None for all stkkrs.
        limit: How many runs at most.

    Returns:
        The runs with their summaries, newest first.
    """

    return run_coro_as_sync(ahistory(name, limit))


async def records(client: PrefectClient, runs: list[FlowRun]) -> list[RunRecord]:
    """Summaries of ``runs`` (one artifact query for all of them).

    Args:
        client: An open Prefect client.
        runs: Flow runs of stkkrs.

    Returns:
        One record per run, in the same order.
    """

    fields_by_run: dict[UUID, dict[str, Any]] = {}
    if runs:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[r.id for r in runs]))
        )
        for artifact in artifacts:
            # The run's summary table; the `stkkr-overview` markdown artifact has the same prefix.
            if (
                artifact.flow_run_id
                and artifact.type == "table"
                and (artifact.key or "").startswith("stkkr-")
            ):
                fields_by_run[artifact.flow_run_id] = RunSummary.fields_from_artifact(
                    _table_rows(artifact.data)
                )
    return [_record(run, fields_by_run.get(run.id) or None) for run in runs]


def stkkr_of(run: FlowRun) -> str:
    """The stkkr a run belongs to, from its ``stkkr:<name>`` tag.

    Args:
        run: A flow run.

    Returns:
        The stkkr name ("" when the run has no stkkr tag).
    """
    return next((tag[len(TAG_PREFIX) :] for tag in run.tags if tag.startswith(TAG_PREFIX)), "")


async def _stkkr_runs(client: PrefectClient, name: str | None, limit: int) -> list[FlowRun]:
    started = FlowRunFilterStartTime(is_null_=False)
    if name is not None:
        run_filter = FlowRunFilter(start_time=started, tags=FlowRunFilterTags(all_=[f"{TAG_PREFIX}{name}"]))
        return await client.read_flow_runs(
            flow_run_filter=run_filter, sort=FlowRunSort.START_TIME_DESC, limit=limit
        )
    found: list[FlowRun] = []
    for page in range(_MAX_PAGES):  # Prefect cannot filter on a tag prefix: page until enough are found
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=started),
            sort=FlowRunSort.START_TIME_DESC,
            limit=_PAGE,
            offset=page * _PAGE,
        )
        found.extend(run for run in runs if stkkr_of(run))
        if len(found) >= limit or len(runs) < _PAGE:
            break
    return found[:limit]


def _record(run: FlowRun, fields: dict[str, Any] | None) -> RunRecord:
    counts = dict(fields or {})
    if "duration_s" not in counts and run.total_run_time:
        counts["duration_s"] = round(run.total_run_time.total_seconds(), 3)
    state_name = (run.state.name if run.state else None) or "Unknown"
    summary = RunSummary(
        stkkr=stkkr_of(run),
        flow_run_id=str(run.id),
        state="Completed" if run.state and run.state.is_completed() else "Failed",
        message=(run.state.message if run.state else None) or "",
        **counts,
    )
    return RunRecord(summary, run.name, state_name, run.start_time, fields is not None)


def _table_rows(data: Any) -> list[dict[str, Any]]:
    """The rows of a table artifact (stored as JSON text by Prefect)."""
    rows = json.loads(data) if isinstance(data, str) else data
    return [row for row in rows or [] if isinstance(row, dict)]
