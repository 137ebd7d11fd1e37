"""The event `stkkr.run.finished` that every stkkr run emits when it ends: counts only, never a row value.

Resource ``stkkr.<name>`` with the labels ``tenant``, ``state`` (Completed or Failed), ``dry_run`` and
``failed_rows_alert`` (the largest ``failed_rows`` threshold of the stkkr's alerts this run reached, ``0``
for none: Prefect triggers match labels, not numbers, see `stkkr_tasks.alerts`); related: the flow run.
Any automation a user builds can react to it; the payload is the run's counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect.events import emit_event

from stkkr_tasks.spec.model import FailedRows
from stkkr_tasks.store.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from stkkr_tasks.run.summary import RunSummary
    from stkkr_tasks.spec import StkkrSpec

EVENT = "stkkr.run.finished"
"""The name of the event every stkkr run emits when it ends."""

COUNTS = (
    "read",
    "filtered_out",
    "skipped",
    "written",
    "would_write",
    "failed",
    "not_attempted",
    "responded",
    "respond_failed",
    "duration_s",
)
"""The summary fields an event carries as its payload."""


def resource_id(stkkr: str) -> str:
    """The event resource id of a stkkr: ``stkkr.<name>``."""
    return f"stkkr.{stkkr}"


def failed_rows_thresholds(spec: StkkrSpec) -> list[int]:
    """The ``failed_rows`` thresholds of a stkkr's alerts, ascending."""

    return sorted({a.when.failed_rows for a in spec.alerts if isinstance(a.when, FailedRows)})


def reached_threshold(spec: StkkrSpec, failed: int) -> int:
    """The largest ``failed_rows`` threshold that ``failed`` reaches (0 when it reaches none)."""
    return max((n for n in failed_rows_thresholds(spec) if failed >= n), default=0)


def finished_event(spec: StkkrSpec, summary: RunSummary) -> dict[str, Any]:
    """The keyword arguments of `emit_event` for a finished run: resource labels and counts, no row value."""
    return {
        "event": EVENT,
        "resource": {
            "prefect.resource.id": resource_id(spec.stkkr),
            "prefect.resource.name": spec.stkkr,
            "tenant": spec.tenant or DEFAULT_TENANT,
            "state": summary.state,
            "dry_run": "true" if summary.dry_run else "false",
            "failed_rows_alert": str(reached_threshold(spec, summary.failed)),
        },
        "related": [
            {
                "prefect.resource.id": f"prefect.flow-run.{summary.flow_run_id}",
                "prefect.resource.role": "flow-run",
            }
        ],
        "payload": {name: getattr(summary, name) for name in COUNTS},
    }


def emit_finished(spec: StkkrSpec, summary: RunSummary) -> None:
    """Emit `stkkr.run.finished` for a run that ended (sent in the background by Prefect's event client)."""

    emit_event(**finished_event(spec, summary))
