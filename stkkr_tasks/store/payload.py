"""Encrypt and decrypt failed payloads (Fernet); only ever used under the tenant's consent."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from stkkr_tasks.store.errors import PayloadKeyError


def encrypt_payload(payload: dict[str, Any], key: bytes) -> str:
    """Serialise `payload` as JSON and encrypt it with the Fernet `key`; returns the token as text.

    Decimals are written as exact decimal text, dates and date-times in ISO 8601.
    """
    data = json.dumps(payload, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    return Fernet(key).encrypt(data.encode("utf-8")).decode("ascii")


def decrypt_payload(token: str, key: bytes | None) -> dict[str, Any]:
    """Decrypt a payload token written by `encrypt_payload`.

    Raises:
        PayloadKeyError: `key` is None, or not the key the payload was encrypted with.
    """
    if key is None:
        raise PayloadKeyError(
            "no payload key is configured (STKKR_PAYLOAD_KEY or the Prefect Secret block "
            "'stkkr-payload-key'), so the stored payload cannot be decrypted"
        )
    try:
        data = Fernet(key).decrypt(token.encode("ascii"))
    except InvalidToken:
        raise PayloadKeyError("the payload key is not the key this payload was encrypted with") from None
    return json.loads(data)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"payload values of type {type(value).__name__} cannot be stored")
