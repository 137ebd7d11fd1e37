"""Cells as typed values (`input.columns`): a cell that does not fit its type says so, without its value."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Convert = Callable[[Any], Any]

_WHOLE = re.compile(r"[+-]?\d{1,30}")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_TRUE = frozenset({"true", "1", "yes", "ja", "j", "y", "waar"})
_FALSE = frozenset({"false", "0", "no", "nee", "n", "onwaar"})


class CellError(ValueError):
    """A cell does not fit its column's type; the message says what the type wants (never the value)."""


def text(cell: Any) -> str | None:
    """A cell of a text column: empty is None; an Excel number or date becomes its text."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime) and cell == datetime.combine(cell.date(), datetime.min.time()):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def whole(cell: Any) -> int | None:
    """An `int` cell: `12`, `-3` (or an Excel number without decimals)."""
    if _empty(cell):
        return None
    if isinstance(cell, int) and not isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, str) and _WHOLE.fullmatch(cell.strip()):
        return int(cell.strip())
    raise CellError("must be a whole number")


def number(cell: Any) -> Decimal | None:
    """A `decimal` cell: `12.50`, `12,50`, `1.234,50` or `1,234.50` (or an Excel number)."""
    if _empty(cell):
        return None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell)
    if isinstance(cell, str) and len(cell) <= 60:
        try:
            value = Decimal(_point(cell.strip()))
        except InvalidOperation:
            value = None
        if value is not None and value.is_finite():
            return value
    raise CellError("must be a number like 12.50 or 12,50")


def _point(text: str) -> str:
    """The number text with `.` as its decimal point (the last of `,` and `.` is the decimal point)."""
    comma, point = text.rfind(","), text.rfind(".")
    if comma > point:
        return text.replace(".", "").replace(",", ".")
    return text.replace(",", "")


def day(cell: Any) -> date | None:
    """A `date` cell: `2024-05-01`, `1-5-2024`, `01/05/2024` or `1.5.2024` (day first), or an Excel date."""
    if _empty(cell):
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        stripped = cell.strip()
        try:
            return datetime.fromisoformat(stripped).date()
        except ValueError:
            pass
        match = _DAY_FIRST.fullmatch(stripped)
        if match:
            dom, month, year = (int(part) for part in match.groups())
            try:
                return date(year, month, dom)
            except ValueError:
                pass
    raise CellError("must be a date like 2024-05-01 or 01-05-2024")


def truth(cell: Any) -> bool | None:
    """A `boolean` cell: true/false, 1/0, ja/nee, yes/no (any case), or an Excel TRUE/FALSE."""
    if _empty(cell):
        return None
    if isinstance(cell, bool):
        return cell
    lowered = text(cell)
    if lowered is not None and lowered.strip().lower() in _TRUE:
        return True
    if lowered is not None and lowered.strip().lower() in _FALSE:
        return False
    raise CellError("must be true or false (or 1/0, ja/nee, yes/no)")


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


#: The converter of each column type.
CONVERTERS: dict[str, Convert] = {
    "text": text,
    "int": whole,
    "decimal": number,
    "date": day,
    "boolean": truth,
}
