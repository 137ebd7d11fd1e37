"""Conversion of values sent by clients (filter values, update fields) into the simulator's row values.

Row values are kept as AFAS writes them in JSON: strings, ints, floats, bools, None, and dates as
``YYYY-MM-DDTHH:MM:SSZ`` strings (local time despite the Z), which sort and compare correctly as text.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_INT = 2**63 - 1
"""The largest integer a field holds (AFAS stores them in 64 bits at most)."""
MAX_NUMBER_TEXT = 40
"""The longest number text accepted; longer (or an exponent) is not a number AFAS can store."""

_WHOLE = re.compile(rf"\s*-?\d{{1,{MAX_NUMBER_TEXT}}}\s*")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class BadValue(ValueError):
    """A value does not fit the data type; the message names the expected type only."""


def parse_bool(value: Any) -> bool:
    """``true``/``false``, ``1``/``0`` (as JSON or text, any case).

    Raises:
        BadValue: anything else.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise BadValue("expected a boolean (true/false or 1/0)")


def parse_int(value: Any) -> int:
    """An integer given as JSON number or text, at most `MAX_INT` either way.

    Raises:
        BadValue: not an integer.
    """
    if isinstance(value, bool):
        raise BadValue("expected an integer")
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _WHOLE.fullmatch(value)
    ):
        number = int(value)
    if number is None or abs(number) > MAX_INT:
        raise BadValue("expected an integer")
    return number


def parse_decimal(value: Any) -> float | int:
    """A finite number given as JSON number or text with a ``.`` decimal separator (``1e999`` is refused).

    Raises:
        BadValue: not a number.
    """
    if isinstance(value, bool):
        raise BadValue("expected a number")
    if isinstance(value, int) and abs(value) <= MAX_INT:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if (
        isinstance(value, str)
        and len(value.strip()) <= MAX_NUMBER_TEXT
        and re.fullmatch(r"\s*-?(\d+\.?\d*|\.\d+)\s*", value)
    ):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    raise BadValue("expected a number")


def parse_date(value: Any, *, allow_z: bool = True) -> str:
    """A date (``YYYY-MM-DD``) or date-time (``YYYY-MM-DDTHH:MM[:SS]``) as a row value ``...Z``.

    Args:
        value: the text a client sent.
        allow_z: accept a trailing ``Z`` (AFAS refuses it in filter values).

    Raises:
        BadValue: not a date.
    """
    if not isinstance(value, str):
        raise BadValue("expected a date (YYYY-MM-DD)")
    text = value.strip()
    if allow_z and text.endswith("Z"):
        text = text[:-1]
    match = _DATE.match(text)
    if not match:
        raise BadValue("expected a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)")
    y, mo, d, h, mi, s = match.groups()
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(h or 0) < 24 and int(mi or 0) < 60):
        raise BadValue("expected a valid date")
    return f"{y}-{mo}-{d}T{h or '00'}:{mi or '00'}:{s or '00'}Z"


def to_row_value(data_type: str, value: Any) -> Any:
    """Convert a client value to the row value of a column of `data_type` (empty text and None clear it).

    Raises:
        BadValue: the value does not fit the type.
    """
    if value is None or (isinstance(value, str) and value == "" and data_type != "string"):
        return None
    if data_type == "boolean":
        return parse_bool(value)
    if data_type == "int":
        return parse_int(value)
    if data_type == "decimal":
        return parse_decimal(value)
    if data_type == "date":
        return parse_date(value)
    if isinstance(value, dict | list):
        raise BadValue("expected text")
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)
