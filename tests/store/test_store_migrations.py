"""Schema migrations (Alembic, shipped in the package): upgrades keep every record; idempotent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from stkkr_tasks.store import ErrorStore, NewErrorRecord, _migrate
from stkkr_tasks.store._migrate import head_revision
from stkkr_tasks.store._schema import error_records

pytestmark = pytest.mark.anyio

_NOW = datetime.now(UTC)
# `done_keys` as revisions 0001 and 0002 had it (0003 moved it into `run_once_keys`).
_OLD_DONE_KEYS = sa.Table(
    "done_keys",
    sa.MetaData(),
    sa.Column("stkkr", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

_OLD_RECORD = {
    "created_at": _NOW,
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
            _OLD_DONE_KEYS.insert(), {"stkkr": "s", "fingerprint": "f1", "created_at": _NOW}
        )

    await empty_store.migrate()

    assert await empty_store.revision() == head_revision() != "0001"
    (kept,) = await empty_store.list_errors(now=_NOW)
    assert (kept.message, kept.row_key, kept.error_number) == ("Record is locked", "a" * 64, 1)
    assert kept.consent is False and not kept.has_payload  # written before consent existed
    keys = empty_store.run_once("s", "afas:12345:production")
    assert await keys.start_run() is True, "the first run adopts the keys of before environments"
    (state,) = (await keys.states({"f1"})).values()
    assert (state.state, state.legacy) == ("done", True)
    assert await empty_store.run_once("s", "url:http://elsewhere").states({"f1"}) == {}


async def test_downgrade_keeps_the_done_keys(store: ErrorStore) -> None:
    keys = store.run_once("s", "afas:1:test")
    await keys.apply(flow_run_id="r", reserve=["f1", "f2"])
    await keys.apply(flow_run_id="r", done=["f1"])
    async with store.engine.begin() as connection:
        await connection.run_sync(_downgrade, "0002")
    async with store.engine.connect() as connection:
        rows = (await connection.execute(sa.select(_OLD_DONE_KEYS.c.fingerprint))).scalars().all()
    assert rows == ["f1"], "only keys that are done survive a downgrade"


def _downgrade(connection: sa.Connection, revision: str) -> None:
    config = _migrate._config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_migrate_is_idempotent_and_keeps_data(store: ErrorStore) -> None:
    keys = store.run_once("s", "afas:1:test")
    await keys.apply(flow_run_id="r", reserve=["f1"])
    await store.migrate()
    await store.migrate()
    assert await store.revision() == head_revision()
    assert set(await keys.states({"f1"})) == {"f1"}


async def test_concurrent_first_opens_migrate_once(db_url: str, empty_store: ErrorStore) -> None:
    stores = [ErrorStore(db_url) for _ in range(3)]
    try:
        await asyncio.gather(*(s.open() for s in stores))
        assert {await s.revision() for s in stores} == {head_revision()}
    finally:
        for s in stores:
            await s.aclose()


async def test_an_up_to_date_database_is_recognised_without_alembic(
    store: ErrorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _migrate.shipped_head() == head_revision(), "each migration's revision is its file name's prefix"
    upgrades: list[str] = []
    monkeypatch.setattr(_migrate, "_upgrade", lambda connection, revision: upgrades.append(revision))
    await store.migrate()
    assert upgrades == [], "a database at the newest revision needs no Alembic run"
    async with store.engine.begin() as connection:
        await connection.execute(sa.text(f"UPDATE {_migrate.VERSION_TABLE} SET version_num = '0001'"))
    await store.migrate()
    assert upgrades == ["head"], "an older database still goes through Alembic"


async def test_downgrade_from_0005_keeps_error_records_without_their_retry_columns(store: ErrorStore) -> None:
    await store.add_errors(
        [NewErrorRecord("s", None, "r", "update", "f1", connector="PtProject", action="update")]
    )
    async with store.engine.begin() as connection:
        await connection.run_sync(_downgrade, "0004")
    async with store.engine.connect() as connection:
        kept = (await connection.execute(sa.text("SELECT row_key FROM error_records"))).scalars().all()
    assert kept == ["f1"]

    await store.migrate()
    (record,) = await store.list_errors("s")
    assert (record.row_key, record.connector, record.retries) == ("f1", None, 0)
