"""`redact`: every text form of a row value becomes ***."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from stkkr_tasks.store import redact


def test_strings_are_replaced_case_insensitively() -> None:
    message = "Person 'Jansen-Smit' with e-mail JANSEN@example.nl already exists"
    expected = "Person '***' with e-mail *** already exists"
    assert redact(message, ["Jansen-Smit", "jansen@example.nl"]) == expected


def test_longest_value_wins_over_a_contained_shorter_one() -> None:
    assert redact("Name: Jan Jansen", ["Jan", "Jan Jansen"]) == "Name: ***"


def test_numbers_and_decimals_in_their_renderings() -> None:
    message = "Amount 1250.50 (1250,5) for project 4711 exceeds budget"
    assert redact(message, [Decimal("1250.50"), 4711]) == "Amount *** (***) for project *** exceeds budget"


def test_dates_in_iso_dutch_and_us_order() -> None:
    value = date(2024, 5, 7)
    message = "End date 2024-05-07, also 07-05-2024, 7-5-2024 and 05/07/2024"
    assert redact(message, [value]) == "End date ***, also ***, *** and ***"


def test_datetimes_with_and_without_zone() -> None:
    value = datetime(2024, 5, 7, 13, 45, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    message = "Start 2024-05-07T13:45:00+02:00 or 2024-05-07 13:45:00 or 07-05-2024 13:45"
    assert redact(message, [value]) == "Start *** or *** or ***"


def test_nested_values_short_texts_booleans_and_none() -> None:
    message = "Field X is a with code AB and flag True; None given"
    result = redact(message, [{"code": "AB", "flag": True}, ["a"], None])
    assert result == "Field X is a with code *** and flag True; None given"


def test_regex_characters_in_values_are_literal() -> None:
    assert redact("Value a+b (c) rejected; ab unaffected", ["a+b (c)"]) == "Value *** rejected; ab unaffected"


def test_no_values_leave_the_message_alone() -> None:
    assert redact("Record is locked", []) == "Record is locked"
