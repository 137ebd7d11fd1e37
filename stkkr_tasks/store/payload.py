"""Encrypt and decrypt failed payloads (Fernet); only ever used under the tenant's consent."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from stkkr_tasks.afas.values import decode_json, dumps_json
from stkkr_tasks.store.errors import PayloadKeyError


def encrypt_payload(payload: dict[str, Any], key: bytes) -> str:
    """Serialise `payload` as JSON and encrypt it with the Fernet `key`; returns the token as text.

    The JSON is written as a request body is sent (`dumps_json`): a `Decimal` is an exact JSON number,
    so `decrypt_payload` gives back the very numbers, and a resent body is the body first sent.
    """
    return Fernet(key).encrypt(dumps_json(payload)).decode("ascii")


def decrypt_payload(token: str, key: bytes | None) -> dict[str, Any]:
    """Decrypt a payload token written by `encrypt_payload`; its non-integer numbers come back as `Decimal`.

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
    payload: dict[str, Any] = decode_json(data)
    return payload
