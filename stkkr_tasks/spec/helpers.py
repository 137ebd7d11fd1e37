"""The helpers that stkkr expressions may call, as functions (`add_days(today, 30)`) and filters
(`row.EndDate | date`).

Every helper passes `None` through (an empty AFAS field stays empty) unless documented otherwise, and
raises `HelperError` with a message that names the helper and never the value it was given. Numbers are
bounded like every number AFAS gets (`afas.values.check_number`): `decimal("1e999999999")` is an error, not
minutes of work.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date as Date
from datetime import datetime as DateTime
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Undefined

from stkkr_tasks.afas.values import MAX_NUMBER_DIGITS, NumberTooLargeError, check_number

__all__ = ["AMSTERDAM", "HELPERS", "MAX_TEXT", "HelperError", "Lookup", "key_text"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
"""The time zone of `today`, `now` and of AFAS's timestamps."""

MAX_TEXT = 100_000
"""The longest text a helper (or a text operator) may produce."""

_T = TypeVar("_T")
_MAX_FORMAT = 200
_WHOLE = re.compile(r"[+-]?\d{1,30}")
_FIELD_WIDTH = re.compile(r"%[-_0^#]*\d")


class HelperError(ValueError):
    """A helper got a value it cannot handle; the message names the helper, never the value."""


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


def _bounded(value: _T, helper: str) -> _T:
    """Return `value`, refusing an `int` or `Decimal` too long to write out (see `check_number`)."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        try:
            check_number(value)
        except NumberTooLargeError:
            raise HelperError(f"{helper}: the number has more than {MAX_NUMBER_DIGITS} digits") from None
    return value


def _as_text(value: Any, helper: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(_bounded(value, helper), "f")
    if isinstance(value, Date):
        return value.isoformat()
    return str(value)


def _as_count(value: Any, helper: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise HelperError(f"{helper}: {what} must be a whole number")
    if isinstance(value, float) and not value.is_integer():  # also NaN and infinity
        raise HelperError(f"{helper}: {what} must be a whole number")
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
        raise HelperError(f"{helper}: {what} must be a whole number")
    return int(_bounded(value, helper))


def _checked_length(text: str, helper: str) -> str:
    if len(text) > MAX_TEXT:
        raise HelperError(f"{helper}: the result would be longer than {MAX_TEXT} characters")
    return text


def to_date(value: Any, fmt: str | None = None) -> Date | None:
    """Return the date of a date, a datetime (in Amsterdam time) or a text.

    Text is read as ISO (`2024-05-01`, `2024-05-01T09:30:00`, AFAS's `...Z`) unless `fmt` gives its
    `strptime` format, e.g. `date(row.Text, "%d-%m-%Y")`. Empty text gives None.
    """
    moment = to_datetime(value, fmt)
    return None if moment is None else moment.date()


def to_datetime(value: Any, fmt: str | None = None) -> DateTime | None:
    """Return an aware Europe/Amsterdam datetime of a date (midnight), a datetime or a text (see `date`)."""
    if _missing(value) or value == "":
        return None
    if isinstance(value, DateTime):
        return value.astimezone(AMSTERDAM) if value.tzinfo else value.replace(tzinfo=AMSTERDAM)
    if isinstance(value, Date):
        return DateTime(value.year, value.month, value.day, tzinfo=AMSTERDAM)
    if not isinstance(value, str):
        raise HelperError("date: expects a date, a datetime or a text")
    text = value.strip()
    try:
        if fmt is not None:
            moment = DateTime.strptime(text, str(fmt)[:_MAX_FORMAT])
        else:
            moment = DateTime.fromisoformat(text[:-1] if text.endswith("Z") else text)
    except ValueError:
        raise HelperError(
            "date: the text is not a date in the expected format; give it, e.g. date(value, '%d-%m-%Y')"
        ) from None
    return moment.replace(tzinfo=AMSTERDAM) if moment.tzinfo is None else moment.astimezone(AMSTERDAM)


def _as_day(value: Any, helper: str) -> Date | DateTime:
    if isinstance(value, Date):
        return value
    if isinstance(value, str):
        parsed = to_date(value)
        if parsed is not None:
            return parsed
    raise HelperError(f"{helper}: expects a date")


def _calendar_day(value: Any) -> Date:
    day = _as_day(value, "days_between")
    return (
        day.astimezone(AMSTERDAM).date()
        if isinstance(day, DateTime) and day.tzinfo
        else Date(day.year, day.month, day.day)
    )


def format_date(value: Any, fmt: str = "%Y-%m-%d") -> str | None:
    """Format a date or datetime (or ISO text) with a `strftime` format, e.g. `format_date(d, "%d-%m-%Y")`."""
    if _missing(value) or value == "":
        return None
    fmt = str(fmt)
    if len(fmt) > _MAX_FORMAT:
        raise HelperError(f"format_date: the format is longer than {_MAX_FORMAT} characters")
    if _FIELD_WIDTH.search(fmt):
        raise HelperError("format_date: field widths like '%10Y' are not supported")
    return _as_day(value, "format_date").strftime(fmt)


def add_days(value: Any, days: Any) -> Date | DateTime | None:
    """Return the date (or datetime) `days` days later; negative days go back."""
    if _missing(value):
        return None
    return _as_day(value, "add_days") + timedelta(days=_as_count(days, "add_days", "the number of days"))


def add_months(value: Any, months: Any) -> Date | DateTime | None:
    """Return the date (or datetime) `months` months later; the 31st becomes the month's last day."""
    if _missing(value):
        return None
    day = _as_day(value, "add_months")
    index = day.year * 12 + day.month - 1 + _as_count(months, "add_months", "the number of months")
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise HelperError("add_months: the result is outside the calendar")
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def days_between(start: Any, end: Any) -> int | None:
    """Return the number of days from `start` to `end` (negative when `end` is earlier)."""
    if _missing(start) or _missing(end):
        return None
    return (_calendar_day(end) - _calendar_day(start)).days


def upper(value: Any) -> str | None:
    """Return the text in capitals."""
    return None if _missing(value) else _as_text(value, "upper").upper()


def lower(value: Any) -> str | None:
    """Return the text in small letters."""
    return None if _missing(value) else _as_text(value, "lower").lower()


def trim(value: Any) -> str | None:
    """Return the text without leading and trailing white space."""
    return None if _missing(value) else _as_text(value, "trim").strip()


def replace(value: Any, old: Any, new: Any, count: Any = -1) -> str | None:
    """Replace occurrences of `old` by `new` (all of them, or the first `count`)."""
    if _missing(value):
        return None
    text, old, new = _as_text(value, "replace"), _as_text(old, "replace"), _as_text(new, "replace")
    if old == "":
        raise HelperError("replace: the text to replace must not be empty")
    limit = _as_count(count, "replace", "the count")
    hits = text.count(old) if limit < 0 else min(limit, text.count(old))
    if len(text) + hits * (len(new) - len(old)) > MAX_TEXT:
        raise HelperError(f"replace: the result would be longer than {MAX_TEXT} characters")
    return text.replace(old, new, limit)


def substring(value: Any, start: Any, length: Any = None) -> str | None:
    """Return `length` characters from position `start` (0 is the first; negative counts from the end)."""
    if _missing(value):
        return None
    text, begin = _as_text(value, "substring"), _as_count(start, "substring", "the start")
    if length is None:
        return text[begin:]
    size = _as_count(length, "substring", "the length")
    if size < 0:
        raise HelperError("substring: the length must not be negative")
    end = begin + size
    return text[begin:end] if end != 0 or begin >= 0 else text[begin:]


def concat(*values: Any, sep: Any = "") -> str:
    """Join texts (empty values are left out), e.g. `concat(row.FirstName, row.LastName, sep=" ")`."""
    parts = [_as_text(value, "concat") for value in values if not _missing(value) and value != ""]
    return _checked_length(_as_text(sep, "concat").join(parts), "concat")


def round_half_up(value: Any, ndigits: Any = 0) -> Any:
    """Round a number half away from zero (as on an invoice) to `ndigits` decimals; keeps its type."""
    if _missing(value):
        return None
    digits = _as_count(ndigits, "round", "the number of decimals")
    if not -20 <= digits <= 20:
        raise HelperError("round: the number of decimals must be between -20 and 20")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise HelperError("round: expects a number")
    exact = _bounded(value, "round") if isinstance(value, Decimal) else Decimal(str(_bounded(value, "round")))
    try:
        rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise HelperError("round: the number is too large") from None
    if isinstance(value, Decimal):
        return rounded
    if isinstance(value, int) and digits >= 0:
        return value
    return int(rounded) if isinstance(value, int) else float(rounded)


def default(value: Any, fallback: Any = "") -> Any:
    """Return `fallback` when the value is empty (None or empty text), else the value."""
    return fallback if _missing(value) or value == "" else value


def coalesce(*values: Any) -> Any:
    """Return the first value that is not empty (None or empty text), or None."""
    return next((value for value in values if not _missing(value) and value != ""), None)


def to_int(value: Any) -> int | None:
    """Return a whole number from a number or a text of digits; anything else is an error."""
    if _missing(value) or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        if not _WHOLE.fullmatch(value.strip()):
            raise HelperError("int: the text is not a whole number")
        return int(value.strip())
    return _as_count(value, "int", "the value")


def to_decimal(value: Any) -> Decimal | None:
    """Return an exact decimal number from a number or a text like `12.50`."""
    if _missing(value) or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise HelperError("decimal: expects a number or a text")
    text = _as_text(value, "decimal").strip()
    if len(text) > 60:
        raise HelperError("decimal: the text is too long for a number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise HelperError("decimal: the text is not a number") from None
    if not number.is_finite():
        raise HelperError("decimal: the text is not a number")
    return _bounded(number, "decimal")


def key_text(value: Any) -> str:
    """Return the text under which a value is looked up in a `lookups` table (`1`, `true`, `2024-05-01`)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value == _bounded(value, "lookup").to_integral_value()
    ):
        return str(int(value))
    return _as_text(value, "lookup")


_NO_DEFAULT = object()


class Lookup:
    """The `lookup(table, key, default)` helper over the `lookups` tables of one stkkr file."""

    def __init__(self, tables: Mapping[str, Mapping[str, Any]], unread: Iterable[str] = ()) -> None:
        """Index the tables by key text; `unread` names tables that a run reads from a GetConnector."""
        self._tables = {name: {key_text(k): v for k, v in table.items()} for name, table in tables.items()}
        self._unread = frozenset(unread) - self._tables.keys()

    def __call__(self, table: Any, key: Any, default: Any = _NO_DEFAULT) -> Any:
        """Return the table's value for the key, or `default` when the key is not in the table."""
        entries = self._tables.get(table) if isinstance(table, str) else None
        if entries is None:
            if table in self._unread:
                raise HelperError(
                    f"lookup: table {table!r} is read from its GetConnector only when the stkkr runs"
                )
            raise HelperError("lookup: no lookup table by that name is declared under lookups")
        found = entries.get(key_text(key), _NO_DEFAULT)
        if found is not _NO_DEFAULT:
            return found
        if default is _NO_DEFAULT:
            raise HelperError(f"lookup: the key is not in table {table!r} and no default was given")
        return default


HELPERS: dict[str, Callable[..., Any]] = {
    "date": to_date,
    "datetime": to_datetime,
    "format_date": format_date,
    "add_days": add_days,
    "add_months": add_months,
    "days_between": days_between,
    "upper": upper,
    "lower": lower,
    "trim": trim,
    "replace": replace,
    "substring": substring,
    "concat": concat,
    "round": round_half_up,
    "default": default,
    "coalesce": coalesce,
    "int": to_int,
    "decimal": to_decimal,
}
"""Every helper by its name in expressions; each is also a filter (`value | name(args)`)."""
