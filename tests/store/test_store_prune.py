"""Retention in the store on SQLite and PostgreSQL: the 30-day boundary, batches, reruns, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stkkr_tasks.store import ErrorStore, NewErrorRecord, RetentionPeriodError, retention_cutoff

pytestmark = pytest.mark.anyio

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def failure(n: int = 0) -> NewErrorRecord:
    return NewErrorRecord("s", None, "run", "update", f"{n:064d}", 500, None, None, "failed", {"x": "secret"})


async def add_aged(store: ErrorStore, days: float, count: int = 1) -> None:
    await store.add_errors([failure(i) for i in range(count)], now=NOW - timedelta(days=days))


async def test_29_days_are_kept_and_31_days_are_gone(store: ErrorStore) -> None:
    await store.set_consent(None, True)  # payloads go with their records
    await add_aged(store, 29)
    await add_aged(store, 29.99)
    await add_aged(store, 30.01)
    await add_aged(store, 31)
    assert await store.prune(retention_cutoff(30, now=NOW)) == 2
    kept = await store.list_errors(now=NOW)
    assert sorted(round((NOW - r.created_at).total_seconds() / 86400, 2) for r in kept) == [29.0, 29.99]
    assert all(r.has_payload for r in kept)


async def test_a_shorter_period_prunes_more(store: ErrorStore) -> None:
    await add_aged(store, 8)
    await add_aged(store, 6)
    assert await store.prune(retention_cutoff(7, now=NOW)) == 1
    assert await store.count_errors() == 1


@pytest.mark.parametrize("days", [31, 90, 0, -1])
def test_periods_outside_1_to_30_days_are_refused(days: int) -> None:
    with pytest.raises(RetentionPeriodError, match=r"30 days|at least 1 day"):
        retention_cutoff(days, now=NOW)


async def test_deletes_in_batches_smaller_than_the_rows(store: ErrorStore) -> None:
    await add_aged(store, 40, count=25)
    await add_aged(store, 1, count=3)
    assert await store.prune(retention_cutoff(30, now=NOW), batch_size=4) == 25
    assert await store.count_errors() == 3


async def test_safe_to_run_twice(store: ErrorStore) -> None:
    await add_aged(store, 40, count=5)
    cutoff = retention_cutoff(now=NOW)
    assert await store.prune(cutoff) == 5
    assert await store.prune(cutoff) == 0
    assert await store.count_errors() == 0


async def test_safe_to_run_concurrently(store: ErrorStore, db_url: str) -> None:
    await add_aged(store, 40, count=60)
    await add_aged(store, 2, count=2)
    cutoff = retention_cutoff(now=NOW)
    others = [ErrorStore(db_url) for _ in range(2)]
    try:
        for other in others:
            await other.open()
        deleted = await asyncio.gather(*(s.prune(cutoff, batch_size=7) for s in [store, *others]))
    finally:
        for other in others:
            await other.aclose()
    assert sum(deleted) == 60
    assert await store.count_errors() == 2
