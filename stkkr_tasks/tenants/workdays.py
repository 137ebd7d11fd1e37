"""Dutch working days: the deadline of a data-subject request is 5 working days after it was received.

Weekends and the Dutch public holidays (the `holidays` package: New Year, Easter, King's Day, Liberation
Day, Ascension, Whitsun, Christmas, ...) are not working days. The day of receipt does not count.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

REQUEST_WORKING_DAYS = 5


@lru_cache(maxsize=32)
def _dutch_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: date) -> bool:
    """Whether `day` is a Dutch working day (Monday to Friday and not a public holiday)."""
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: date, days: int = REQUEST_WORKING_DAYS) -> date:
    """The date `days` Dutch working days after `start` (`start` itself is not counted).

    Args:
        start: The day of receipt.
        days: How many working days; at least 1.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    while days:
        day += timedelta(days=1)
        days -= is_working_day(day)
    return day
