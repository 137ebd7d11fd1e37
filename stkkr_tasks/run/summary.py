"""`RunSummary`: what one stkkr run did, in counts only (never a row value)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from stkkr_tasks.tasks import RunCounters

State = Literal["Completed", "Failed"]

#: The keys of `stkkr run --json`, in order (scripts rely on them).
JSON_KEYS = (
    "stkkr",
    "flow_run_id",
    "state",
    "read",
    "filtered_out",
    "skipped",
    "written",
    "failed",
    "duration_s",
)

#: Summary fields and their labels in the table artifact (`stkkr history` reads the counts back from it).
TABLE_LABELS = {
    "read": "read",
    "filtered_out": "filtered out",
    "skipped": "skipped",
    "written": "written",
    "would_write": "would write",
    "failed": "failed",
    "not_attempted": "of which not attempted",
    "duration_s": "duration (s)",
}
_FIELDS = {label: name for name, label in TABLE_LABELS.items()}


@dataclass(frozen=True)
class RunSummary:
    """The outcome of one run: returned to the caller, the final state message, and a table artifact.

    Every row read ends in exactly one of `filtered_out`, `skipped`, `written` and `failed` (in a dry run,
    `would_write` takes the place of `written`). Failed rows, including the kept rows a stopped run never
    sent, are in the stkkr database as error records (`stkkr errors list`).

    Attributes:
        stkkr: The stkkr's name.
        flow_run_id: The Prefect flow run id.
        state: "Completed" (possibly with failed rows) or "Failed" (the run could not finish).
        read: Rows read from the GetConnector.
        filtered_out: Rows the `filter` expression dropped.
        skipped: Rows whose `unique` key succeeded in an earlier run.
        written: Rows written to the UpdateConnector.
        failed: Rows that failed in filter, transform or update, or were not attempted after a stop.
        duration_s: Wall-clock duration of the run in seconds.
        message: The final state message (counts and the reason of a failure; no row values).
        not_attempted: Of `failed`, the kept rows that were never sent because the run stopped.
        would_write: In a dry run, the rows that would have been written.
        dry_run: True when nothing was written on purpose.
        problems: Why the stkkr does not fit the AFAS environment (online validation), if it does not.
    """

    stkkr: str
    flow_run_id: str
    state: State
    read: int = 0
    filtered_out: int = 0
    skipped: int = 0
    written: int = 0
    failed: int = 0
    duration_s: float = 0.0
    message: str = ""
    not_attempted: int = 0
    would_write: int = 0
    dry_run: bool = False
    problems: tuple[str, ...] = field(default=())

    @classmethod
    def from_counters(cls, counters: RunCounters, **kwargs: Any) -> RunSummary:
        """Build a summary from a run's live counters plus the fields given as keywords."""
        return cls(
            read=counters.read,
            filtered_out=counters.filtered_out,
            skipped=counters.skipped,
            written=counters.written,
            failed=counters.failed,
            not_attempted=counters.not_attempted,
            would_write=counters.would_write,
            **kwargs,
        )

    @property
    def ok(self) -> bool:
        """True when the run completed and every kept row was written (or would be, in a dry run)."""
        return self.state == "Completed" and self.failed == 0

    def to_json(self) -> dict[str, Any]:
        """The summary as `stkkr run --json` prints it: exactly the documented keys."""
        return {key: getattr(self, key) for key in JSON_KEYS}

    def counts_text(self) -> str:
        """The counts in one line, e.g. "read 200, filtered out 10, skipped 0, written 188, failed 2"."""
        last = f"would write {self.would_write}" if self.dry_run else f"written {self.written}"
        return (
            f"read {self.read}, filtered out {self.filtered_out}, skipped {self.skipped}, {last}, "
            f"failed {self.failed} in {self.duration_s:.1f} s"
        )

    def table(self) -> list[dict[str, Any]]:
        """The counts as rows of a table artifact (labels from `TABLE_LABELS`)."""
        fields = ["read", "filtered_out", "skipped", "would_write" if self.dry_run else "written", "failed"]
        if self.not_attempted:
            fields.append("not_attempted")
        rows = [{"count": TABLE_LABELS[name], "rows": getattr(self, name)} for name in fields]
        rows.append({"count": TABLE_LABELS["duration_s"], "rows": round(self.duration_s, 1)})
        return rows

    @staticmethod
    def counts_from_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The summary fields in the rows of a table artifact written by `table`; other rows are ignored."""
        return {_FIELDS[row["count"]]: row.get("rows") for row in rows if row.get("count") in _FIELDS}
