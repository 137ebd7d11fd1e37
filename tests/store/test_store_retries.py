"""Open error records as `stkkr retry` sees them: which ones, closing, updating (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stkkr_tasks.store import ErrorStore, NewErrorRecord

pytestmark = pytest.mark.anyio

ENV = "afas:12345:test"
NOW = datetime.now(UTC)


def failure(row_key: str, **values: object) -> NewErrorRecord:
    fields: dict[str, object] = {
        "stkkr": "close-projects",
        "tenant": "acme",
        "flow_run_id": "run-1",
        "stage": "update",
        "environment": ENV,
        "message": "first",
        "http_status": 500,
        **values,
    }
    return NewErrorRecord(row_key=row_key, **fields)  # type: ignore[arg-type]


async def test_open_errors_are_the_retryable_fingerprints_of_the_stkkr_and_environment(
    store: ErrorStore,
) -> None:
    await store.add_errors(
        [
            failure("f1"),
            failure("f1"),  # the same row failed in two runs: one fingerprint, two records
            failure("f2"),
            failure(""),  # a page that could not be read: no row key
            failure("f3", unique_key="u3"),  # unknown outcome: settled by `errors resolve`
            failure("f4", environment="afas:12345:production"),
            failure("f5", environment=None),  # written before records named their environment
            failure("f6", stkkr="other"),
            failure("f7", stage="respond"),  # the row's first write succeeded: a retry would repeat it
        ]
    )
    await store.add_errors([failure("old")], now=NOW - timedelta(days=40))  # past the retention period
    await store.add_errors([failure("week")], now=NOW - timedelta(days=8))

    retries = await store.retries("close-projects", ENV)
    opened = await retries.open_errors()
    since = await retries.open_errors(NOW - timedelta(days=7))

    assert opened.fingerprints == {"f1", "f2", "f5", "week"}
    assert (opened.records, opened.page_reads, opened.unknown_outcome, opened.responses) == (5, 1, 1, 1)
    assert since.fingerprints == {"f1", "f2", "f5"}


async def test_close_and_refail_touch_only_open_records_of_the_rows(store: ErrorStore) -> None:
    await store.add_errors([failure("f1"), failure("f2"), failure("f3", unique_key="u3")], now=NOW)
    await store.add_errors([failure("f2")], now=NOW + timedelta(seconds=1))  # f2's newest record
    retries = await store.retries("close-projects", ENV)
    later = NOW + timedelta(minutes=5)

    closed = await retries.close({"f1", "f3", "nothing"}, "retried", later)
    await store.add_errors(
        [failure("f2", message="again", flow_run_id="run-2"), failure("f9", message="new")],
        now=later,
        retry=retries,
    )

    by_key = sorted(await store.list_errors("close-projects"), key=lambda r: r.id)
    assert closed == 1, "f3 waits for `errors resolve`; nothing else matched"
    f1, f2_old, f3, f2_new, f9 = by_key
    assert (f1.resolution, f1.resolved_at) == ("retried", later)
    assert f3.resolution is None
    assert (f2_new.message, f2_new.flow_run_id, f2_new.retries, f2_new.retried_at) == (
        "again",
        "run-2",
        1,
        later,
    )
    assert f2_new.created_at == NOW + timedelta(seconds=1), "the retention clock keeps the first failure"
    assert (f2_old.message, f2_old.retries) == ("first", 0), "only the newest open record is updated"
    assert (f9.message, f9.retries) == ("new", 0), "a failure without an open record becomes a new one"
    assert (await retries.open_errors()).fingerprints == {"f2", "f9"}


async def test_concurrent_retry_failures_all_land(store: ErrorStore) -> None:
    await store.add_errors([failure(f"f{i}") for i in range(40)], now=NOW)
    retries = await store.retries("close-projects", ENV)

    async def page(start: int) -> None:
        batch = [failure(f"f{i}", message="again") for i in range(start, start + 10)]
        await store.add_errors(batch, now=NOW, retry=retries)

    await asyncio.gather(*(page(start) for start in range(0, 40, 10)))

    records = await store.list_errors("close-projects")
    assert len(records) == 40 and all((r.retries, r.message) == (1, "again") for r in records)
