"""The expression helpers, called directly and from expressions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stkkr_tasks.spec.helpers import AMSTERDAM, HELPERS, HelperError, Lookup, key_text

h = HELPERS


def test_every_helper_is_documented_and_a_filter() -> None:
    from stkkr_tasks.spec.sandbox import ENVIRONMENT

    for name, helper in HELPERS.items():
        assert helper.__doc__, name
        assert ENVIRONMENT.filters[name] is helper


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2024-05-01", None, date(2024, 5, 1)),
        ("2024-05-01T23:30:00Z", None, date(2024, 5, 1)),  # AFAS's Z is Amsterdam time
        ("2024-05-01T09:30:00", None, date(2024, 5, 1)),
        ("01-05-2024", "%d-%m-%Y", date(2024, 5, 1)),
        (datetime(2024, 5, 1, 23, 30, tzinfo=UTC), None, date(2024, 5, 2)),  # 01:30 in Amsterdam
        (date(2024, 5, 1), None, date(2024, 5, 1)),
        (None, None, None),
        ("", None, None),
    ],
)
def test_date(value: object, fmt: str | None, expected: date | None) -> None:
    assert h["date"](value, fmt) == expected


def test_date_errors_do_not_repeat_the_value() -> None:
    for bad in ("Jansen", "31-02-2024"):
        with pytest.raises(HelperError) as caught:
            h["date"](bad)
        assert bad not in str(caught.value)
    with pytest.raises(HelperError, match="expects a date"):
        h["date"](12)


def test_datetime_is_aware_amsterdam() -> None:
    moment = h["datetime"]("2024-05-01T09:30:00Z")
    assert moment == datetime(2024, 5, 1, 9, 30, tzinfo=AMSTERDAM)
    assert h["datetime"](date(2024, 1, 2)) == datetime(2024, 1, 2, tzinfo=AMSTERDAM)


def test_format_date() -> None:
    assert h["format_date"](date(2024, 5, 1), "%d-%m-%Y") == "01-05-2024"
    assert h["format_date"]("2024-05-01") == "2024-05-01"
    assert h["format_date"](None) is None
    with pytest.raises(HelperError, match="field widths"):
        h["format_date"](date(2024, 5, 1), "%999999999Y")


def test_add_days_and_months() -> None:
    assert h["add_days"](date(2024, 2, 28), 2) == date(2024, 3, 1)
    assert h["add_days"](date(2024, 3, 1), -1) == date(2024, 2, 29)
    assert h["add_days"](datetime(2024, 1, 1, 8, tzinfo=AMSTERDAM), 1) == datetime(
        2024, 1, 2, 8, tzinfo=AMSTERDAM
    )
    assert h["add_days"]("2024-01-01", 31) == date(2024, 2, 1)
    assert h["add_months"](date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert h["add_months"](date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert h["add_months"](date(2024, 3, 31), -13) == date(2023, 2, 28)
    assert h["add_days"](None, 3) is None
    with pytest.raises(HelperError, match="whole number"):
        h["add_days"](date(2024, 1, 1), 1.5)
    with pytest.raises(HelperError, match="outside the calendar"):
        h["add_months"](date(2024, 1, 1), 10**6)


def test_days_between() -> None:
    assert h["days_between"](date(2024, 1, 1), date(2024, 3, 1)) == 60
    assert h["days_between"]("2024-03-01", date(2024, 1, 1)) == -60
    assert h["days_between"](None, date(2024, 1, 1)) is None


def test_text_helpers() -> None:
    assert h["upper"]("abc") == "ABC" and h["lower"]("ABC") == "abc" and h["trim"]("  a ") == "a"
    assert h["upper"](None) is None and h["trim"](None) is None
    assert h["upper"](12) == "12"
    assert h["replace"]("a-b-c", "-", "/") == "a/b/c"
    assert h["replace"]("a-b-c", "-", "/", 1) == "a/b-c"
    assert h["substring"]("Amsterdam", 0, 3) == "Ams"
    assert h["substring"]("Amsterdam", 3) == "terdam"
    assert h["substring"]("Amsterdam", -3) == "dam"
    assert h["substring"]("Amsterdam", -3, 3) == "dam"
    assert h["concat"]("Jan", None, "", "Jansen", sep=" ") == "Jan Jansen"
    assert h["concat"]("P", 12, Decimal("1.50")) == "P121.50"


def test_text_helpers_are_limited() -> None:
    with pytest.raises(HelperError, match="longer than"):
        h["replace"]("a" * 100_000, "a", "aa")
    with pytest.raises(HelperError, match="longer than"):
        h["concat"]("a" * 60_000, "b" * 60_000)
    with pytest.raises(HelperError, match="must not be empty"):
        h["replace"]("abc", "", "x")


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (Decimal("2.345"), 2, Decimal("2.35")),
        (Decimal("2.5"), 0, Decimal("3")),
        (Decimal("-2.5"), 0, Decimal("-3")),
        (2.675, 2, 2.68),  # half up on the decimal text, not the binary float
        (1234, -2, 1200),
        (7, 2, 7),
        (None, 2, None),
    ],
)
def test_round_half_up_keeps_the_type(value: object, digits: int, expected: object) -> None:
    result = h["round"](value, digits)
    assert result == expected and type(result) is type(expected)


def test_default_and_coalesce() -> None:
    assert h["default"](None, "x") == "x" and h["default"]("", "x") == "x" and h["default"](0, "x") == 0
    assert h["coalesce"](None, "", "b", "c") == "b"
    assert h["coalesce"](None, None) is None


def test_numbers() -> None:
    assert (
        h["int"]("42") == 42
        and h["int"](Decimal("3")) == 3
        and h["int"](True) == 1
        and h["int"](None) is None
    )
    assert h["decimal"]("12.50") == Decimal("12.50") and h["decimal"](3) == Decimal(3)
    for bad in ("Jansen", "1.5", "1e3"):
        with pytest.raises(HelperError) as caught:
            h["int"](bad)
        assert bad not in str(caught.value)
    with pytest.raises(HelperError, match="not a number"):
        h["decimal"]("NaN")
    with pytest.raises(HelperError, match="whole number"):
        h["int"](Decimal("2.5"))


def test_lookup() -> None:
    lookup = Lookup({"country": {"NL": "Nederland", "1": "one", "true": "yes"}})
    assert lookup("country", "NL") == "Nederland"
    assert lookup("country", 1) == "one" and lookup("country", Decimal("1.0")) == "one"
    assert lookup("country", True) == "yes"
    assert lookup("country", "BE", "?") == "?"
    with pytest.raises(HelperError) as caught:
        lookup("country", "Secret-Key")
    assert "Secret-Key" not in str(caught.value) and "'country'" in str(caught.value)
    with pytest.raises(HelperError, match="no lookup table"):
        lookup("nope", "NL")


def test_key_text() -> None:
    assert [key_text(v) for v in ("a", 1, 1.0, True, None, date(2024, 1, 2))] == [
        "a",
        "1",
        "1",
        "true",
        "",
        "2024-01-02",
    ]


HUGE = Decimal("1E+999999999")  # cheap to hold; written out it would be a gigabyte


@pytest.mark.parametrize(
    ("call", "helper"),
    [
        (lambda: h["decimal"]("1e999999999"), "decimal"),
        (lambda: h["decimal"]("-1e-999999999"), "decimal"),
        (lambda: h["decimal"](HUGE), "decimal"),
        (lambda: h["int"](HUGE), "int"),
        (lambda: h["round"](HUGE, 2), "round"),
        (lambda: h["round"](10**4000, 0), "round"),
        (lambda: h["upper"](HUGE), "upper"),
        (lambda: h["concat"]("a", HUGE), "concat"),
        (lambda: h["substring"]("abc", HUGE), "substring"),
        (lambda: h["add_days"](date(2024, 1, 1), HUGE), "add_days"),
        (lambda: Lookup({"t": {"1": "x"}})("t", HUGE, "none"), "lookup"),
    ],
)
def test_numbers_too_long_to_write_out_are_refused_at_once(call: object, helper: str) -> None:
    with pytest.raises(HelperError, match=f"^{helper}: the number has more than 60 digits$"):
        call()  # type: ignore[operator]


def test_numbers_within_the_bound_still_work() -> None:
    assert h["decimal"]("1e59") == Decimal("1e59")
    assert h["int"](Decimal("1E+20")) == 10**20
    assert key_text(float("inf")) == "inf" and key_text(Decimal("1E+3")) == "1000"
