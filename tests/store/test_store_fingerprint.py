"""`key_fingerprint` and the fingerprint key (environment or Prefect Secret block, created on first use)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from prefect.blocks.system import Secret

from stkkr_tasks.store import (
    aget_fingerprint_key,
    get_fingerprint_key,
    is_empty_key,
    key_fingerprint,
    legacy_fingerprint,
    lookup_fingerprints,
)
from stkkr_tasks.store.fingerprint import key_check_value
from stkkr_tasks.store.keys import FINGERPRINT_KEY_BLOCK


def test_fingerprint_is_a_keyed_hash_without_the_values() -> None:
    fp = key_fingerprint(b"secret", "close-projects", ("P-4711", date(2024, 5, 7)))
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert "4711" not in fp
    assert fp == key_fingerprint(b"secret", "close-projects", ("P-4711", date(2024, 5, 7)))
    assert fp != key_fingerprint(b"other", "close-projects", ("P-4711", date(2024, 5, 7)))
    assert fp != key_fingerprint(b"secret", "other-stkkr", ("P-4711", date(2024, 5, 7)))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (1, "1"),
        (1, "1.0"),
        (Decimal("12.5"), "12.5"),
        (date(2024, 5, 7), "2024-05-07"),
        (0, False),
        (1, True),
        (None, "None"),
    ],
)
def test_values_of_different_types_never_share_a_fingerprint(one: object, other: object) -> None:
    assert key_fingerprint(b"k", "s", (one,)) != key_fingerprint(b"k", "s", (other,))


def test_equal_numbers_are_one_key_and_huge_ones_stay_small() -> None:
    assert key_fingerprint(b"k", "s", (1,)) == key_fingerprint(b"k", "s", (1.0,))
    assert key_fingerprint(b"k", "s", (Decimal("12.50"),)) == key_fingerprint(b"k", "s", (12.5,))
    assert key_fingerprint(b"k", "s", (Decimal("1e999999999"),))  # not a gigabyte of zeros


def test_text_keys_keep_their_fingerprint_of_before_typed_fingerprints() -> None:
    assert key_fingerprint(b"k", "s", ("P-4711", "")) == legacy_fingerprint(b"k", "s", ("P-4711", ""))
    assert key_fingerprint(b"k", "s", (4711,)) != legacy_fingerprint(b"k", "s", (4711,))


def test_a_key_typed_on_the_command_line_finds_the_row_of_any_type() -> None:
    row = (4711, Decimal("12.50"), date(2024, 5, 7), True, None)
    candidates = lookup_fingerprints(b"k", "s", ["4711", "12.5", "2024-05-07", "true", ""])
    assert key_fingerprint(b"k", "s", row) in candidates
    assert legacy_fingerprint(b"k", "s", row) in candidates, "records of before typed fingerprints"
    assert len(candidates) <= 64


def test_empty_keys() -> None:
    assert is_empty_key((None,)) and is_empty_key(("  ",)) and is_empty_key((None, ""))
    assert not is_empty_key((None, "x")) and not is_empty_key((0,)) and not is_empty_key((False,))


def test_key_check_value_tells_keys_apart_without_showing_them() -> None:
    assert key_check_value(b"one") == key_check_value(b"one") != key_check_value(b"two")
    assert "one" not in key_check_value(b"one")


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
        stored: Secret[str] = await Secret.aload(FINGERPRINT_KEY_BLOCK)
        assert stored.get().encode() == first
        assert len(first) == 64
        assert await aget_fingerprint_key() == first
    finally:
        await Secret.adelete(FINGERPRINT_KEY_BLOCK)
