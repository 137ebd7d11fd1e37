"""Argon2id password hashes and hashed API tokens: neither a password nor a token is ever stored in clear.

Hashes use argon2-cffi's current defaults (Argon2id). A hash made with other parameters still verifies, and
`verify_password` returns a new hash to store, so parameters can be raised without asking users anything.
API tokens are random (256 bits), so a plain SHA-256 suffices to store them: it cannot be brute-forced.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
_TOKEN_PREFIX = "stkkr_"


def hash_password(password: str) -> str:
    """The Argon2id hash of `password` (with its own random salt).

    Raises:
        ValueError: The password is shorter than `MIN_PASSWORD_LENGTH` characters.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Check `password` against `stored_hash`.

    Returns:
        `(matches, new_hash)`: `new_hash` is a fresh hash to store when the password matched but the stored
        hash was made with other parameters than today's; otherwise None.
    """
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, _hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so an unknown username takes as long as a wrong password."""
    verify_password(_DUMMY_HASH, password)


def new_api_token() -> str:
    """A new random API token, to be shown once and stored only as `token_hash(token)`."""
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a random token: an API token or a session cookie."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
