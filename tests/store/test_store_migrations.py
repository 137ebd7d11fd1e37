"""Schema migrations (Alembic, shipped in the package): upgrades keep every record; idempotent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from stkkr_tasks.store import ErrorStore
from stkkr_tasks.store._migrate import head_revision
from stkkr_tasks.store._schema import done_keys, error_records

pytestmark = pytest.mark.anyio

_OLD_RECORD = {
    "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    "stkkr": "close-projects",
    "tenant": "default",
    "flow_run_id": "run-1",
    "stage": "update",
    "row_key": "a" * 64,
    "http_status": 500,
    "error_number": 1,
    "profit_log_reference": "ref",
    "message": "Record is locked",
}


async def test_upgrade_from_the_first_revision_keeps_records(empty_store: ErrorStore) -> None:
    await empty_store.migrate("0001")
    assert await empty_store.revision() == "0001"
    async with empty_store.engine.begin() as connection:
        # only the columns of revision 0001 are named, so these inserts fit the old schema
        await connection.execute(error_records.insert(), _OLD_RECORD)
        await connection.execute(
            done_keys.insert(), {"stkkr": "s", "fingerprint": "f1", "created_at": _OLD_RECORD["created_at"]}
        )

    await empty_store.migrate()

    assert await empty_store.revision() == head_revision() != "0001"
    (kept,) = await empty_store.list_errors()
    assert (kept.message, kept.row_key, kept.error_number) == ("Record is locked", "a" * 64, 1)
    assert kept.consent is False and not kept.has_payload  # written before consent existed
    assert await empty_store.done_keys("s", ["f1"]) == {"f1"}


async def test_migrate_is_idempotent_and_keeps_data(store: ErrorStore) -> None:
    await store.mark_done("s", ["f1"])
    await store.migrate()
    await store.migrate()
    assert await store.revision() == head_revision()
    assert await store.done_keys("s", ["f1"]) == {"f1"}


async def test_concurrent_first_opens_migrate_once(db_url: str, empty_store: ErrorStore) -> None:
    stores = [ErrorStore(db_url) for _ in range(3)]
    try:
        await asyncio.gather(*(s.open() for s in stores))
        assert {await s.revision() for s in stores} == {head_revision()}
    finally:
        for s in stores:
            await s.aclose()
