"""Argon2id hashes: never the password, verified, re-hashed when the parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from stkkr_tasks.tenants.passwords import hash_password, new_api_token, token_hash, verify_password
from tests.tenants.conftest import PASSWORD


def test_a_hash_is_argon2id_salted_and_never_the_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert PASSWORD not in first
    assert first != second  # a salt of its own
    assert verify_password(first, PASSWORD) == (True, None)
    assert verify_password(first, PASSWORD + "!") == (False, None)
    assert verify_password("not a hash", PASSWORD) == (False, None)


def test_a_hash_with_old_parameters_verifies_and_is_replaced() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    ok, new_hash = verify_password(weak, PASSWORD)
    assert ok
    assert new_hash is not None and new_hash != weak
    assert verify_password(new_hash, PASSWORD) == (True, None)


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 10 characters"):
        hash_password("short")


def test_api_tokens_are_random_and_stored_as_a_hash() -> None:
    token = new_api_token()
    assert token != new_api_token()
    assert len(token_hash(token)) == 64 and token not in token_hash(token)
