"""`RunSummary`: what one stkkr run did, in counts only (never a row value)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from stkkr_tasks.tasks import COUNT_FIELDS, Counts

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
    "not_attempted",
)

#: The fields of the summary artifact `stkkr-<name>`: one row, a column per field, named as here, so a
#: program (`stkkr history`, `stkkr trigger`) reads it by name. `dry_run` says whether the run wrote anything;
#: `problems` lists why the stkkr does not fit the AFAS environment (online validation), if it does not.
ARTIFACT_FIELDS = (
    "dry_run",
    *COUNT_FIELDS,
    "duration_s",
    "problems",
    "retry",
    "records_closed",
    "records_unmatched",
)
#: What `stkkr run --json` adds for a retry run.
RETRY_JSON_KEYS = ("retry", "not_retried", "records_closed", "records_unmatched")

_LABELS = {
    "filtered_out": "filtered out",
    "would_write": "would write",
    "not_attempted": "not attempted",
    "inserted": "of which inserted",
    "updated": "of which updated",
    "deleted": "of which deleted",
    "groups_written": "groups written",
    "groups_failed": "groups failed",
    "respond_failed": "respond failed",
    "not_retried": "not retried (no open record)",
    "records_closed": "error records closed",
}
#: The summary field that counts the written rows of each action.
_BY_ACTION = {"insert": "inserted", "update": "updated", "delete": "deleted"}


@dataclass(frozen=True)
class RunSummary(Counts):
    """The outcome of one run: returned to the caller, the final state message, and a table artifact.

    The counts are the fields of `Counts` (keywords: `read`, `written`, `failed`, ...), added up over the run.
    Every row read ends in exactly one of `filtered_out`, `skipped`, `written`, `failed` and `not_attempted`
    (in a dry run, `would_write` takes the place of `written`). Failed rows are in the stkkr database as error
    records (`stkkr errors list`); the kept rows a stopped run never sent are only counted (`not_attempted`:
    no error record; the next run tries them again).

    Attributes:
        stkkr: The stkkr's name.
        flow_run_id: The Prefect flow run id.
        state: "Completed" (possibly with failed rows) or "Failed" (the run could not finish).
        duration_s: Wall-clock duration of the run in seconds.
        message: The final state message (counts and the reason of a failure; no row values).
        dry_run: True when nothing was written on purpose.
        problems: Why the stkkr does not fit the AFAS environment (online validation), if it does not.
        then: The runs that followed this one in this process through `then:` (`run_stkkr`).
        limit: The run's bound on kept rows (or groups), if it had one.
        retry: True for a retry run (`stkkr retry`): only rows with an open error record were processed.
        records_closed: In a retry: error records closed (row written now, or no longer kept by the filter).
        records_unmatched: In a retry: open records whose row was not read again (they stay open).
    """

    stkkr: str
    flow_run_id: str
    state: State
    duration_s: float = 0.0
    message: str = ""
    dry_run: bool = False
    problems: tuple[str, ...] = field(default=())
    then: tuple[RunSummary, ...] = ()
    limit: int | None = None
    retry: bool = False
    records_closed: int = 0
    records_unmatched: int = 0

    @classmethod
    def from_counts(cls, counts: Counts, **kwargs: Any) -> RunSummary:
        """Build a summary from a run's counts plus the fields given as keywords."""
        return cls(**{name: getattr(counts, name) for name in COUNT_FIELDS}, **kwargs)

    @property
    def ok(self) -> bool:
        """True when the run completed and every kept row was written (or would be, in a dry run), with its
        response (`respond`) too."""
        return self.state == "Completed" and self.failed == 0 and self.respond_failed == 0

    def to_json(self) -> dict[str, Any]:
        """The summary as `stkkr run --json` prints it: the documented keys, and `then` after a chain."""
        document = {key: getattr(self, key) for key in JSON_KEYS}
        if self.responded or self.respond_failed:
            document |= {"responded": self.responded, "respond_failed": self.respond_failed}
        if self.retry:
            document.update({key: getattr(self, key) for key in RETRY_JSON_KEYS})
        if self.then:
            document["then"] = [summary.to_json() for summary in self.then]
        return document

    def counts_text(self) -> str:
        """The counts in one line, e.g. "read 200, filtered out 10, skipped 0, written 188, failed 2"."""
        last = f"would write {self.would_write}" if self.dry_run else f"written {self.written}"
        split = [(action, getattr(self, name)) for action, name in _BY_ACTION.items() if getattr(self, name)]
        if len(split) > 1:  # a per-row action: how the written rows split
            last += " (" + ", ".join(f"{action} {count}" for action, count in split) + ")"
        failed = f"failed {self.failed}"
        if self.groups_written or self.groups_failed:
            last += f" ({self.groups_written} groups)"
            failed += f" ({self.groups_failed} groups)"
        if self.not_attempted:
            failed += f", not attempted {self.not_attempted}"
        if self.responded or self.respond_failed:
            failed += f", responded {self.responded}, respond failed {self.respond_failed}"
        if self.retry:
            failed += f", not retried {self.not_retried}"
        return (
            f"read {self.read}, filtered out {self.filtered_out}, skipped {self.skipped}, {last}, "
            f"{failed} in {self.duration_s:.1f} s"
        )

    def labelled_counts(self) -> list[tuple[str, int | float]]:
        """The counts with their labels for people (a terminal table); programs read `artifact` instead."""
        names = ["read", "filtered_out", "skipped", "would_write" if self.dry_run else "written", "failed"]
        by_action = [name for name in _BY_ACTION.values() if getattr(self, name)]
        if len(by_action) > 1:  # a per-row action: how the written rows split
            names += by_action
        if self.not_attempted:
            names.append("not_attempted")
        if self.groups_written or self.groups_failed:
            names += ["groups_written", "groups_failed"]
        if self.responded or self.respond_failed:
            names += ["responded", "respond_failed"]
        if self.retry:
            names += ["not_retried", "records_closed"]
        counts: list[tuple[str, int | float]] = [
            (_LABELS.get(name, name), getattr(self, name)) for name in names
        ]
        return [*counts, ("duration (s)", round(self.duration_s, 1))]

    def artifact(self) -> list[dict[str, Any]]:
        """The summary as its table artifact: one row whose columns are `ARTIFACT_FIELDS`, by name."""
        row = {name: getattr(self, name) for name in ARTIFACT_FIELDS}
        return [{**row, "problems": list(self.problems)}]

    @staticmethod
    def fields_from_artifact(rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The summary fields in a table artifact written by `artifact` (empty for any other table)."""
        row = rows[0] if len(rows) == 1 and isinstance(rows[0], dict) else {}
        fields = {name: row[name] for name in ARTIFACT_FIELDS if name in row}
        if "problems" in fields:
            fields["problems"] = tuple(str(problem) for problem in fields["problems"] or ())
        return fields
