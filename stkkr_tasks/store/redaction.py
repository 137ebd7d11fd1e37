"""Remove row values from messages: every text form of every value becomes `***`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MASK = "***"
_MIN_LENGTH = 2


def redact(message: str, values: Iterable[Any]) -> str:
    """Replace each value's text forms in `message` with `***`, longest first, ignoring case.

    Strings, numbers, dates and date-times are covered with their common renderings (ISO, Dutch and US date
    orders, decimal comma); lists, tuples, sets and mappings are searched for values. Booleans, None and texts
    shorter than 2 characters are left alone: they carry no identifying information and masking them would
    destroy the message.

    Args:
        message: Text that may contain row values, such as an AFAS `externalMessage`.
        values: The row's values (any mix of types).

    Returns:
        The message without any of the values' text forms.
    """
    folded, lowered = message.casefold(), message.lower()
    # Only the forms the message holds go into the pattern: compiling a form of every value of a row (dates
    # in 30 renderings) took 40 ms per failed row. Both foldings: the pattern ignores case either way.
    forms = {
        form.casefold(): form
        for value in values
        for form in _forms(value)
        if len(form) >= _MIN_LENGTH and (form.casefold() in folded or form.lower() in lowered)
    }
    if not forms:
        return message
    ordered = sorted(forms.values(), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(form) for form in ordered), re.IGNORECASE)
    return pattern.sub(MASK, message)


def _forms(value: Any) -> Iterator[str]:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        yield value
        yield value.strip()
    elif isinstance(value, datetime):
        yield from _datetime_forms(value)
    elif isinstance(value, date):
        yield from _date_forms(value)
    elif isinstance(value, Decimal | float):
        yield from _number_forms(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _forms(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _forms(item)
    else:
        yield str(value)


def _number_forms(value: Decimal | float) -> Iterator[str]:
    texts = {str(value), f"{value:.2f}"}
    if isinstance(value, Decimal):
        texts.add(format(value.normalize(), "f"))
    elif value.is_integer():
        texts.add(str(int(value)))
    for text in texts:
        yield text
        yield text.replace(".", ",")


def _date_forms(value: date) -> Iterator[str]:
    d, m, y = value.day, value.month, value.year
    yield value.isoformat()
    yield f"{y}{m:02d}{d:02d}"
    for sep in ("-", "/", "."):
        yield f"{d:02d}{sep}{m:02d}{sep}{y}"
        yield f"{d}{sep}{m}{sep}{y}"
        yield f"{m:02d}{sep}{d:02d}{sep}{y}"
        yield f"{m}{sep}{d}{sep}{y}"
        yield f"{y}{sep}{m:02d}{sep}{d:02d}"


def _datetime_forms(value: datetime) -> Iterator[str]:
    yield value.isoformat()
    yield value.replace(tzinfo=None).isoformat()
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%H:%M:%S"):
        yield value.strftime(fmt)
    for day in _date_forms(value.date()):
        yield f"{day} {value:%H:%M:%S}"
        yield f"{day} {value:%H:%M}"
        yield day
