"""Five Dutch working days: weekends and public holidays do not count, nor does the day of receipt."""

from __future__ import annotations

from datetime import date

import pytest

from stkkr_tasks.tenants import add_working_days, is_working_day


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 12, 7), date(2026, 12, 14)),  # Monday: the next Monday
        (date(2026, 12, 5), date(2026, 12, 11)),  # Saturday: counting starts on Monday
        (date(2026, 4, 24), date(2026, 5, 4)),  # King's Day (Mon 27 April) does not count
        (date(2026, 4, 1), date(2026, 4, 10)),  # Good Friday and Easter Monday do not count
        (date(2026, 12, 23), date(2026, 12, 31)),  # Christmas
        (date(2025, 4, 30), date(2025, 5, 8)),  # Liberation Day 2025 (a lustrum year) does not count
    ],
)
def test_the_due_date_is_five_dutch_working_days_later(received: date, due: date) -> None:
    assert add_working_days(received) == due


def test_working_days() -> None:
    assert is_working_day(date(2026, 12, 4))  # a Friday
    assert not is_working_day(date(2026, 12, 5))  # Saturday
    assert not is_working_day(date(2027, 1, 1))  # New Year's Day
    assert not is_working_day(date(2026, 5, 14))  # Ascension Day
