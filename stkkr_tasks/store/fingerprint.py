"""Keyed fingerprints of row keys: identify a row in the stkkr database without storing its values."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def key_fingerprint(secret: bytes, stkkr: str, values: Sequence[Any]) -> str:
    """HMAC-SHA256 (hex) of a stkkr's name and a row's key values, keyed with `secret`.

    Values are compared by their canonical text, so a key typed on the command line finds the record of
    the row it came from: strings as they are, numbers as plain decimals (`12.50` becomes `12.5`), dates as
    `YYYY-MM-DD`, date-times in ISO 8601, booleans as `true`/`false`, None as the empty text.

    Args:
        secret: The fingerprint key (`get_fingerprint_key()`); it never lives in the stkkr database.
        stkkr: Name of the stkkr, so equal keys of different stkkrs differ.
        values: The key values, in key order.

    Returns:
        64 hexadecimal characters.
    """
    if not secret:
        raise ValueError("the fingerprint key is empty")
    message = json.dumps([stkkr, [canonical_text(value) for value in values]], ensure_ascii=False)
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_text(value: Any) -> str:
    """The text a key value is fingerprinted as (see `key_fingerprint`); strings are taken as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | float):
        number = Decimal(str(value))
        return format(number.normalize(), "f") if number.is_finite() else str(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
