"""The artifacts of runs: the failed-rows artifact of a stkkr run, and the counts table of the other flows.

The failed-rows artifact shows a run's error records' meta-information as a markdown table, never values.

Each run with failed rows gets a markdown artifact with key ``failed-rows-<stkkr>`` (so the Prefect UI keeps
a timeline per stkkr) listing, per error record: stage, HTTP status, AFAS error number, log reference, the
redacted message template and the row's keyed fingerprint. The retention flow deletes these artifacts after
the same period as the records themselves (`prune_failure_artifacts`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from prefect.states import Completed, Failed, State

from stkkr_tasks.store import ErrorStore

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

    from stkkr_tasks.run.summary import RunSummary
    from stkkr_tasks.store.records import ErrorRecord

KEY_PREFIX = "failed-rows-"
"""Failed-rows artifacts have the key ``failed-rows-<stkkr>``."""

MAX_LISTED = 50
"""The most error records one artifact lists; the rest are counted and left to `stkkr errors list`."""

_COLUMNS = (
    "record",
    "stage",
    "HTTP status",
    "AFAS error",
    "log reference",
    "message (template)",
    "row fingerprint",
)
_PAGE = 200


def failure_key(stkkr: str) -> str:
    """The artifact key of a stkkr's failed-rows artifacts."""
    return f"{KEY_PREFIX}{stkkr}"


def failure_markdown(summary: RunSummary, records: list[ErrorRecord]) -> str:
    """The markdown of a run's failed-rows artifact: a table of meta-information, no value of a row.

    Args:
        summary: The run's summary.
        records: Its error records (at most `MAX_LISTED` are listed).

    Returns:
        Markdown text.
    """
    lines = [
        f"### {summary.failed} failed rows in this run of {summary.stkkr}",
        "",
        "Meta-information only: AFAS's message is a template without the row's values, the row is a keyed "
        f"fingerprint. Details: `stkkr errors list --stkkr {summary.stkkr}` and `stkkr errors show RECORD`.",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    for record in records[:MAX_LISTED]:
        cells = [
            str(record.id),
            record.stage,
            _cell(record.http_status),
            _cell(record.error_number),
            _cell(record.profit_log_reference),
            _cell(record.message),
            f"`{record.row_key[:16]}`",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    rest = summary.failed - min(len(records), MAX_LISTED)
    if rest > 0:
        lines += ["", f"… and {rest} more (beyond the first {MAX_LISTED})."]
    return "\n".join(lines) + "\n"


async def create_failure_artifact(summary: RunSummary) -> None:
    """Create the failed-rows artifact of a run that has failed rows and stored their records."""

    async with ErrorStore() as store:
        records = await store.list_errors(summary.stkkr, limit=MAX_LISTED, flow_run_id=summary.flow_run_id)
    await acreate_markdown_artifact(
        markdown=failure_markdown(summary, records),
        key=failure_key(summary.stkkr),
        description=f"{summary.failed} failed rows (meta-information only)",
    )


async def prune_failure_artifacts(client: PrefectClient, before: datetime, dry_run: bool = False) -> int:
    """Delete (or count) the failed-rows artifacts created before ``before``.

    Args:
        client: An open Prefect client.
        before: Artifacts created before this moment go.
        dry_run: Only count them.

    Returns:
        How many were (or would be) deleted.
    """

    old = []
    offset = 0
    only_failures = ArtifactFilter(key=ArtifactFilterKey(like_=KEY_PREFIX))
    while page := await client.read_artifacts(
        artifact_filter=only_failures, sort=ArtifactSort.ID_DESC, limit=_PAGE, offset=offset
    ):
        old += [
            a.id for a in page if (a.key or "").startswith(KEY_PREFIX) and a.created and a.created < before
        ]
        offset += len(page)
    if not dry_run:
        for artifact_id in old:
            await client.delete_artifact(artifact_id)
    return len(old)


async def finish_with_counts(
    counts: Mapping[str, int],
    *,
    key: str,
    message: str,
    column: str,
    failed: bool = False,
    data: dict[str, Any] | None = None,
) -> State[dict[str, Any]]:
    """Show a flow's counts as the table artifact `key`, a row per count, and give the flow's final state.

    Args:
        counts: Counts by name (`due_by_tomorrow` shows as "due by tomorrow"); counts only, never row values.
        key: The artifact key.
        message: The state message, also the artifact's description.
        column: The heading of the column of names.
        failed: Give a Failed state (which Prefect automations alert on) instead of a Completed one.
        data: The state's result; default: the counts.

    Returns:
        The state for the flow to return.
    """
    table = [{column: name.replace("_", " "), "count": count} for name, count in counts.items()]
    await acreate_table_artifact(table=table, key=key, description=message)
    state = Failed if failed else Completed
    return state(message=message, data=dict(counts) if data is None else data)


def _cell(value: object) -> str:
    """A table cell: empty for None; pipes, line breaks and HTML made harmless."""
    if value is None:
        return ""
    text = html.escape(str(value), quote=False).replace("|", "\\|")
    return " ".join(text.split())
