"""The retention period of error records: 30 days at most, shorter on request, never longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stkkr_tasks.store.errors import RetentionPeriodError

MAX_RETENTION_DAYS = 30


def check_retention_days(days: int) -> int:
    """Return `days` when it is a valid retention period (1 to 30 days).

    Raises:
        RetentionPeriodError: `days` is below 1 or above 30, with what is allowed and why.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise RetentionPeriodError(f"the retention period must be a whole number of days, not {days!r}")
    if days > MAX_RETENTION_DAYS:
        raise RetentionPeriodError(
            f"a retention period of {days} days is refused: stkkr keeps error records at most "
            f"{MAX_RETENTION_DAYS} days; choose {MAX_RETENTION_DAYS} or fewer"
        )
    if days < 1:
        raise RetentionPeriodError(f"the retention period must be at least 1 day, not {days}")
    return days


def retention_cutoff(days: int = MAX_RETENTION_DAYS, now: datetime | None = None) -> datetime:
    """The moment before which error records are deleted: `now` (default: the current time) minus `days`.

    Raises:
        RetentionPeriodError: See `check_retention_days`.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    return now - timedelta(days=check_retention_days(days))
