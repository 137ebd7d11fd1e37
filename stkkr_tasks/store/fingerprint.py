"""Keyed fingerprints of row keys: identify a row in the stkkr database without storing its values.

A fingerprint is the HMAC-SHA256 of the stkkr's name and the key values, each value encoded with its type,
so that values which only look alike never share a fingerprint: `None` and `""`, `True` and `"true"`, `1` and
`"1"` all differ. Text keys encode exactly as stkkr's first fingerprints did (`legacy_fingerprint`), so
run-once keys stored before typed fingerprints existed still match rows whose key is text.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import Any

_CHECK_MESSAGE = b"stkkr fingerprint key check"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_DIGITS = 100  # numbers up to 10^100 are written out in full


def key_fingerprint(secret: bytes, stkkr: str, values: Sequence[Any]) -> str:
    """HMAC-SHA256 (hex) of a stkkr's name and a row's key values with their types, keyed with `secret`.

    Numbers compare by value (`12.50`, `12.5` and `Decimal("12.5")` are one key), dates and date-times by
    their ISO 8601 text; text as it is. A value never matches a value of another type.

    Args:
        secret: The fingerprint key (`get_fingerprint_key()`); it never lives in the stkkr database.
        stkkr: Name of the stkkr, so equal keys of different stkkrs differ.
        values: The key values, in key order.

    Returns:
        64 hexadecimal characters.
    """
    return _hmac(secret, [stkkr, [_typed(value) for value in values]])


def legacy_fingerprint(secret: bytes, stkkr: str, values: Sequence[Any]) -> str:
    """The fingerprint of stkkr's first versions, which compared values by text only (`canonical_text`).

    Only used to find run-once keys and error records stored before typed fingerprints; equal to
    `key_fingerprint` when every value is text.
    """
    return _hmac(secret, [stkkr, [canonical_text(value) for value in values]])


def lookup_fingerprints(secret: bytes, stkkr: str, texts: Sequence[str]) -> list[str]:
    """Every fingerprint a row key typed as text (on a command line) may have been stored under.

    Each text is tried as text and, where it reads as one, as a number, a boolean, a date or empty (`""`
    also as None); plus the legacy text-only form. A handful of candidates, never a value in clear.
    """
    options = [_readings(text) for text in texts]
    found = {key_fingerprint(secret, stkkr, combo) for combo in itertools.product(*options)}
    found.add(legacy_fingerprint(secret, stkkr, texts))
    return sorted(found)


def key_check_value(secret: bytes) -> str:
    """A value that shows whether a fingerprint key is the one a database was used with, and nothing else."""
    if not secret:
        raise ValueError("the fingerprint key is empty")
    return hmac.new(secret, _CHECK_MESSAGE, hashlib.sha256).hexdigest()[:32]


def is_empty_key(values: Sequence[Any]) -> bool:
    """True when every value of a key is empty: None, or text of white space only."""
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def canonical_text(value: Any) -> str:
    """The text a key value was fingerprinted as by `legacy_fingerprint`; strings are taken as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | float):
        return _number_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _typed(value: Any) -> Any:
    """A JSON value that keeps the type: text stays a JSON string, everything else is marked as its kind."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Decimal):
        return {"number": _number_text(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return {type(value).__name__: str(value)}


def _number_text(value: int | float | Decimal) -> str:
    """A number as plain decimal text (`12.50` becomes `12.5`); scientific for huge exponents."""
    number = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    if not number.is_finite():
        return str(number)
    exact = Context(prec=max(len(number.as_tuple().digits), 1), Emax=MAX_EMAX, Emin=MIN_EMIN)
    number = number.normalize(exact)
    return format(number, "f") if abs(number.adjusted()) <= _PLAIN_DIGITS else str(number)


def _readings(text: str) -> list[Any]:
    """The values a text typed by a person may stand for."""
    readings: list[Any] = [text]
    if text == "":
        readings.append(None)
    if text in ("true", "false"):
        readings.append(text == "true")
    with contextlib.suppress(InvalidOperation):
        number = Decimal(text)
        if number.is_finite():
            readings.append(number)
    if _ISO_DATE.fullmatch(text):
        with contextlib.suppress(ValueError):
            readings.append(date.fromisoformat(text))
    return readings


def _hmac(secret: bytes, message: Any) -> str:
    if not secret:
        raise ValueError("the fingerprint key is empty")
    text = json.dumps(message, ensure_ascii=False)
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()
