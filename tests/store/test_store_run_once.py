"""Run-once keys on SQLite and PostgreSQL: reserve once, settle, per environment, key check, pruning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stkkr_tasks.store import ErrorStore, FingerprintKeyMismatch, NewErrorRecord

pytestmark = pytest.mark.anyio

ENV = "afas:12345:production"
KEYS = [f"{i:064x}" for i in range(300)]


async def test_of_racing_runs_in_separate_processes_each_key_goes_to_one(
    db_url: str, store: ErrorStore
) -> None:
    stores = [ErrorStore(db_url) for _ in range(4)]
    try:
        for other in stores:
            await other.open()
        grants = await asyncio.gather(
            *(s.run_once("s", ENV).apply(flow_run_id=f"run-{i}", reserve=KEYS) for i, s in enumerate(stores))
        )
    finally:
        for other in stores:
            await other.aclose()
    assert sorted(key for granted in grants for key in granted) == KEYS, "every key reserved exactly once"


async def test_a_key_is_reserved_settled_and_released(store: ErrorStore) -> None:
    keys = store.run_once("s", ENV)
    assert await keys.apply(flow_run_id="r1", reserve=["a", "b", "c", "d"]) == {"a", "b", "c", "d"}
    assert await keys.apply(flow_run_id="r2", reserve=["a", "e"]) == {"e"}, "a reserved key is taken"
    await keys.apply(flow_run_id="r1", done=["a"], release=["b"], unknown=["c"])
    await keys.apply(flow_run_id="r2", release=["d"])  # not r2's reservation: kept
    states = {fp: s.state for fp, s in (await keys.states(["a", "b", "c", "d", "e"])).items()}
    assert states == {"a": "done", "c": "unknown", "d": "reserved", "e": "reserved"}
    assert await keys.apply(flow_run_id="r3", reserve=["b"]) == {"b"}, "a released key is free again"


async def test_keys_belong_to_a_stkkr_and_an_environment(store: ErrorStore) -> None:
    await store.run_once("s", ENV).apply(flow_run_id="r", reserve=["a"])
    assert await store.run_once("s", "url:http://127.0.0.1:8000/ProfitRestServices").apply(
        flow_run_id="r", reserve=["a"]
    ) == {"a"}
    assert await store.run_once("t", ENV).apply(flow_run_id="r", reserve=["a"]) == {"a"}


async def test_resolving_a_record_settles_its_key(store: ErrorStore) -> None:
    keys = store.run_once("s", ENV)
    await keys.apply(flow_run_id="r", reserve=["lost", "there"])
    await keys.apply(flow_run_id="r", unknown=["lost", "there"])
    records = [_unknown("lost"), _unknown("there")]
    await store.add_errors(records)
    assert await keys.unresolved_records({"lost", "there", "other"}) == {"lost", "there"}
    there, lost = await store.list_errors()

    assert await store.resolve_error(lost.id, written=False) is True
    assert await store.resolve_error(there.id, written=True) is True
    assert await store.resolve_error(there.id, written=False) is False, "a done key stays done"

    assert {fp: s.state for fp, s in (await keys.states(["lost", "there"])).items()} == {"there": "done"}
    assert await keys.unresolved_records({"lost", "there"}) == set()
    with pytest.raises(LookupError):
        await store.resolve_error(999_999, written=True)


def _unknown(fingerprint: str) -> NewErrorRecord:
    return NewErrorRecord(
        "s", None, "run", "update", "r" * 64, message="no answer", environment=ENV, unique_key=fingerprint
    )


async def test_the_fingerprint_key_is_checked_and_replaced_only_on_request(store: ErrorStore) -> None:
    await store.check_fingerprint_key(b"first")  # first use: remembered
    await store.check_fingerprint_key(b"first")
    await store.run_once("s", ENV).apply(flow_run_id="r", reserve=["a"])
    with pytest.raises(FingerprintKeyMismatch, match="Restore the original key"):
        await store.check_fingerprint_key(b"second")
    assert await store.run_once("s", ENV).states(["a"]), "a refused key changes nothing"

    await store.check_fingerprint_key(b"second", replace=True)

    await store.check_fingerprint_key(b"second")
    assert await store.run_once("s", ENV).states(["a"]) == {}, "keys of the old key are forgotten"


async def test_keys_of_stkkrs_that_no_longer_exist_go_after_30_days(store: ErrorStore) -> None:
    now = datetime.now(UTC)
    for name, days in (("gone", 31), ("deployed", 60), ("recent", 29)):
        keys = store.run_once(name, ENV)
        await keys.start_run(now=now - timedelta(days=days))
        await keys.apply(flow_run_id="r", reserve=["a", "b"])
    cutoff = now - timedelta(days=30)
    assert await store.prune_run_once_keys(cutoff, {"deployed"}, dry_run=True) == 2
    assert await store.prune_run_once_keys(cutoff, {"deployed"}) == 2
    assert await store.run_once("gone", ENV).states(["a", "b"]) == {}
    for name in ("deployed", "recent"):
        assert len(await store.run_once(name, ENV).states(["a", "b"])) == 2
    assert await store.prune_run_once_keys(cutoff, {"deployed"}) == 0
