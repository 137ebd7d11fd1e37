"""`key_fingerprint` and the fingerprint key (environment or Prefect Secret block, created on first use)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from prefect.blocks.system import Secret

from stkkr_tasks.store import aget_fingerprint_key, get_fingerprint_key, key_fingerprint
from stkkr_tasks.store.keys import FINGERPRINT_KEY_BLOCK


def test_fingerprint_is_a_keyed_hash_without_the_values() -> None:
    fp = key_fingerprint(b"secret", "close-projects", ("P-4711", date(2024, 5, 7)))
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert "4711" not in fp
    assert fp == key_fingerprint(b"secret", "close-projects", ("P-4711", date(2024, 5, 7)))
    assert fp != key_fingerprint(b"other", "close-projects", ("P-4711", date(2024, 5, 7)))
    assert fp != key_fingerprint(b"secret", "other-stkkr", ("P-4711", date(2024, 5, 7)))


def test_values_typed_as_text_match_the_row_values() -> None:
    row = key_fingerprint(b"k", "s", (4711, Decimal("12.50"), date(2024, 5, 7), True, None))
    typed = key_fingerprint(b"k", "s", ("4711", "12.5", "2024-05-07", "true", ""))
    assert row == typed


def test_value_boundaries_are_unambiguous() -> None:
    assert key_fingerprint(b"k", "s", ("a,b", "c")) != key_fingerprint(b"k", "s", ("a", "b,c"))
    assert key_fingerprint(b"k", "s", ("007",)) != key_fingerprint(b"k", "s", ("7",))


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="fingerprint key is empty"):
        key_fingerprint(b"", "s", ("x",))


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STKKR_FINGERPRINT_KEY", "from-env")
    assert get_fingerprint_key() == b"from-env"


@pytest.mark.anyio
async def test_secret_block_is_created_on_first_use_and_reused(
    prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STKKR_FINGERPRINT_KEY")
    try:
        first = await aget_fingerprint_key()
        stored = await Secret.aload(FINGERPRINT_KEY_BLOCK)
        assert stored.get().encode() == first
        assert len(first) == 64
        assert await aget_fingerprint_key() == first
    finally:
        await Secret.adelete(FINGERPRINT_KEY_BLOCK)
