"""The two keys of the stkkr database, which never live in the database itself.

- The fingerprint key (HMAC) turns row keys into fingerprints: `STKKR_FINGERPRINT_KEY`, or the Prefect Secret
  block `stkkr-fingerprint-key`, created with a random key on first use.
- The payload key (Fernet) encrypts failed payloads stored under consent: `STKKR_PAYLOAD_KEY`, or the Prefect
  Secret block `stkkr-payload-key`. There is no default: without it no payload is stored.

The async functions are the implementation; the sync ones run them, also from inside an event loop.
"""

from __future__ import annotations

import contextlib
import os
import secrets

from cryptography.fernet import Fernet
from prefect.blocks.system import Secret
from prefect.utilities.asyncutils import run_coro_as_sync
from pydantic import SecretStr

from stkkr_tasks.store.errors import StoreConfigError

FINGERPRINT_KEY_ENV = "STKKR_FINGERPRINT_KEY"
FINGERPRINT_KEY_BLOCK = "stkkr-fingerprint-key"
PAYLOAD_KEY_ENV = "STKKR_PAYLOAD_KEY"
PAYLOAD_KEY_BLOCK = "stkkr-payload-key"


async def _load_secret(name: str) -> str | None:
    try:
        block: Secret[str] = await Secret.aload(name)
    except ValueError:  # Prefect's "Unable to find block document named ..."
        return None
    return str(block.get())


async def aget_fingerprint_key() -> bytes:
    """The fingerprint key; creates the Secret block with a random key when neither source has one."""
    configured = os.environ.get(FINGERPRINT_KEY_ENV)
    if configured:
        return configured.encode("utf-8")
    stored = await _load_secret(FINGERPRINT_KEY_BLOCK)
    if stored is None:
        with contextlib.suppress(ValueError):  # another process created it first: use theirs
            await Secret(value=SecretStr(secrets.token_hex(32))).asave(FINGERPRINT_KEY_BLOCK, overwrite=False)
        stored = await _load_secret(FINGERPRINT_KEY_BLOCK)
    if not stored:
        raise StoreConfigError(f"the Prefect Secret block {FINGERPRINT_KEY_BLOCK!r} is empty")
    return stored.encode("utf-8")


async def aget_payload_key() -> bytes | None:
    """The payload key (a Fernet key), or None when none is configured.

    Raises:
        StoreConfigError: The configured value is not a Fernet key.
    """
    configured = os.environ.get(PAYLOAD_KEY_ENV)
    source = f"${PAYLOAD_KEY_ENV}" if configured else f"the Prefect Secret block {PAYLOAD_KEY_BLOCK!r}"
    value = configured or await _load_secret(PAYLOAD_KEY_BLOCK)
    if not value:
        return None
    key = value.strip().encode("ascii", errors="replace")
    try:
        Fernet(key)
    except ValueError:
        raise StoreConfigError(
            f"{source} is not a Fernet key (32 url-safe base64-encoded bytes); "
            "create one with `stkkr consent create-key`"
        ) from None
    return key


async def acreate_payload_key() -> None:
    """Generate a Fernet key and save it as the Secret block `stkkr-payload-key`.

    Raises:
        StoreConfigError: The block exists already (replacing it would make stored payloads unreadable).
    """
    try:
        await Secret(value=SecretStr(Fernet.generate_key().decode("ascii"))).asave(
            PAYLOAD_KEY_BLOCK, overwrite=False
        )
    except ValueError:
        raise StoreConfigError(
            f"the Prefect Secret block {PAYLOAD_KEY_BLOCK!r} exists already; it is kept, because payloads "
            "encrypted with it could not be read with a new key"
        ) from None


def get_fingerprint_key() -> bytes:
    """Sync form of `aget_fingerprint_key`."""
    return run_coro_as_sync(aget_fingerprint_key())


def get_payload_key() -> bytes | None:
    """Sync form of `aget_payload_key`."""
    return run_coro_as_sync(aget_payload_key())
