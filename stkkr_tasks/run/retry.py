"""Retry runs (`stkkr retry`, `run_stkkr(..., retry=True)`): how far back they look, and what they say."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.spec.model import EverySchedule
from stkkr_tasks.tasks import RetryOutcome


class RetrySinceError(StkkrError, ValueError):
    """`--since` (or the `retry_since` parameter) is not a duration such as 7d, 12h or 30m."""


def retry_since(since: str | None, *, now: datetime | None = None) -> datetime | None:
    """The moment a retry looks back to: `since` (a duration such as ``7d``, ``12h``) before `now`.

    Raises:
        RetrySinceError: `since` is not a duration.
    """
    if since is None:
        return None
    try:
        interval = EverySchedule(every=since).interval
    except ValidationError:
        raise RetrySinceError(
            f"since: {since!r} is not a duration; give a number and s, m, h or d, e.g. 7d or 12h"
        ) from None
    return (now or datetime.now(UTC)) - interval


def retry_text(outcome: RetryOutcome, *, failed: int, dry_run: bool) -> str:
    """What a retry did to the open error records, in counts (for the summary's message)."""
    text = f"Retry of {outcome.open} open error record(s): "
    if dry_run:
        text += "none closed or updated (dry run)"
    else:
        text += f"{outcome.closed} closed as written"
        if outcome.filtered_out:
            text += f", {outcome.filtered_out} closed because the filter no longer keeps their row"
        if failed:
            text += f"; {failed} row(s) failed again (their records updated)"
    if outcome.unmatched:
        text += f"; {outcome.unmatched} row(s) were not read again (their records stay open)"
    notes = [text + "."]
    if outcome.page_reads:
        notes.append(
            f"{outcome.page_reads} record(s) of pages that could not be read have no row key and cannot "
            "be retried by row; a normal run reads those pages again."
        )
    if outcome.unknown_outcome:
        notes.append(
            f"{outcome.unknown_outcome} record(s) of writes with an unknown outcome are left alone: "
            "settle them with `stkkr errors resolve ID`."
        )
    if outcome.responses:
        notes.append(
            f"{outcome.responses} record(s) of response writes are left alone: their row's first write "
            "succeeded and a retry would send it again; resend one with `stkkr errors retry ID`."
        )
    return " ".join(notes)
