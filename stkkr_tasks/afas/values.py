"""Conversion of values between Python and AFAS's JSON, filter and URL forms.

AFAS writes timestamps as `"2024-05-01T09:30:00Z"` although they are Amsterdam local time, not UTC; they
become aware datetimes in Europe/Amsterdam. Non-integer numbers become `Decimal`, so amounts stay exact.

A `Decimal` is cheap to hold however large its exponent (`1E+999999999`), but writing it out in full, or
turning it into an `int`, costs time and memory in proportion to its digits. `check_number` bounds numbers
to `MAX_NUMBER_DIGITS` digits written out; every conversion here and in the expression helpers uses it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from stkkr_tasks.errors import StkkrError

__all__ = [
    "AMSTERDAM",
    "MAX_NUMBER_DIGITS",
    "NumberTooLargeError",
    "check_number",
    "decode_json",
    "decode_row",
    "dumps_json",
    "encode_body_value",
    "format_value",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

MAX_NUMBER_DIGITS = 60
"""The most digits a number may have written out in full (`1e60` has 61): far more than any AFAS field."""

_INT_LIMIT = 10**MAX_NUMBER_DIGITS


class NumberTooLargeError(StkkrError, ValueError):
    """A number has more than `MAX_NUMBER_DIGITS` digits written out; the message never holds the value."""

    def __init__(self, where: str = "") -> None:
        reason = f"the number has more than {MAX_NUMBER_DIGITS} digits written out (an exponent like 1e999?)"
        super().__init__(f"{where}: {reason}" if where else reason)


def check_number(value: int | Decimal, where: str = "") -> None:
    """Refuse a number too long to write out or to convert quickly; other values pass.

    Counts the digits of the plain text without building it: `1E+999999999` is refused at once.

    Args:
        value: An `int` or a `Decimal` (NaN and infinity pass: the callers refuse them as they always did).
        where: Placed before the message (a helper's or a field's name).

    Raises:
        NumberTooLargeError: When written out it would have more than `MAX_NUMBER_DIGITS` digits.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            return
        _, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)  # finite
        written = len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent)
        if written > MAX_NUMBER_DIGITS:
            raise NumberTooLargeError(where)
    elif not -_INT_LIMIT < value < _INT_LIMIT:
        raise NumberTooLargeError(where)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z")
_WIRE_DATETIME = "%Y-%m-%dT%H:%M:%S"


def decode_json(content: bytes | str) -> Any:
    """Parse JSON text, turning non-integer numbers into `Decimal`.

    Raises:
        ValueError: When the text is not JSON (`json.JSONDecodeError` is a `ValueError`).
    """
    return json.loads(content, parse_float=Decimal)


@lru_cache(maxsize=4096)  # datetimes are immutable; a page repeats many dates (bounded: memory stays flat)
def _decode_timestamp(text: str) -> datetime:
    whole, _, fraction = text[:-1].partition(".")
    moment = datetime.fromisoformat(whole)
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return moment.replace(tzinfo=AMSTERDAM)


def decode_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Convert AFAS's `...Z` timestamps of a decoded row into Europe/Amsterdam datetimes.

    Args:
        row: One element of a GetConnector page's `rows`, as `decode_json` returned it.

    Returns:
        A new dict; values other than timestamps are kept as JSON gave them.
    """
    return {name: _decode_value(value) for name, value in row.items()}


def _decode_value(value: Any) -> Any:
    # Cheap checks first: this runs for every field of every row read; the regex only sees likely timestamps.
    if type(value) is str and 20 <= len(value) <= 28 and value[-1] == "Z" and _TIMESTAMP.fullmatch(value):
        return _decode_timestamp(value)
    return value


def _naive_local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None) if moment.tzinfo else moment


def format_value(value: Any) -> str:
    """Return the text AFAS expects for a value in a filter or a URL.

    Dates become `YYYY-MM-DD`, datetimes `YYYY-MM-DDTHH:MM:SS` in Amsterdam time without `Z` (AFAS refuses
    the `Z` in filters), booleans `true`/`false`, `None` the empty string, numbers their plain text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _naive_local(value).strftime(_WIRE_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        check_number(value)
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    return str(value)


def encode_body_value(value: Any) -> Any:
    """Return a value ready for an UpdateConnector body.

    Dates and datetimes become text as in `format_value`; `Decimal` stays `Decimal` (written as a JSON
    number by `dumps_json`); `str`, `int`, `float`, `bool` and `None` pass unchanged.

    Raises:
        TypeError: For any other type; the message names the type, never the value.
        NumberTooLargeError: For a number of more than `MAX_NUMBER_DIGITS` digits written out.
    """
    if isinstance(value, date):
        return format_value(value)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        check_number(value)
        return value
    if value is None or isinstance(value, (str, float, bool)):
        return value
    raise TypeError(
        f"AFAS body values must be text, numbers, booleans, dates or None, not {type(value).__name__}"
    )


def _dump(value: Any, out: list[str], indent: int | None = None, level: int = 0) -> None:
    # `indent` None writes compact JSON; a number indents nested values by that many spaces per level.
    inner = "" if indent is None else "\n" + " " * indent * (level + 1)
    outer = "" if indent is None else "\n" + " " * indent * level
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("AFAS body values must be finite numbers")
        check_number(value)
        out.append(format(value, "f"))
    elif isinstance(value, Mapping) and value:
        out.append("{")
        colon = ":" if indent is None else ": "
        for index, (name, item) in enumerate(value.items()):
            out.append(("," if index else "") + inner + json.dumps(str(name), ensure_ascii=False) + colon)
            _dump(item, out, indent, level + 1)
        out.append(outer + "}")
    elif isinstance(value, (list, tuple)) and value:
        out.append("[")
        for index, item in enumerate(value):
            out.append(("," if index else "") + inner)
            _dump(item, out, indent, level + 1)
        out.append(outer + "]")
    elif isinstance(value, Mapping | list | tuple):
        out.append("{}" if isinstance(value, Mapping) else "[]")
    else:
        out.append(json.dumps(value, ensure_ascii=False, allow_nan=False))


class _NeedsExactNumbers(Exception):
    """A body holds a value the C encoder cannot write exactly (a `Decimal`)."""


def _refuse(value: Any) -> Any:
    raise _NeedsExactNumbers


_FAST = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_refuse)


def dumps_json(value: Any, *, indent: int | None = None) -> bytes:
    """Serialise a request body to UTF-8 JSON, writing `Decimal` as an exact JSON number.

    Compact by default (as sent); with `indent`, indented by that many spaces per level (for people).
    """
    if indent is None and _plain_keys(value):
        try:
            return _FAST.encode(value).encode("utf-8")  # the C encoder: most bodies hold no Decimal
        except _NeedsExactNumbers:
            pass
    out: list[str] = []
    _dump(value, out, indent)
    return "".join(out).encode("utf-8")


def _plain_keys(value: Any) -> bool:
    """Whether every mapping in a body is a dict with text keys (the C encoder writes those like `_dump`)."""
    if isinstance(value, dict):
        return all(type(name) is str and _plain_keys(item) for name, item in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain_keys(item) for item in value)
    return not isinstance(value, Mapping)
