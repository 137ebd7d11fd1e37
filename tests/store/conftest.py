"""Fixtures of the stkkr database tests: each store test runs on SQLite and on PostgreSQL.

PostgreSQL: a fresh database `stkkr_test_<random>` per session on the server in `STKKR_TEST_POSTGRES_URL`
(default: postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end. When no server answers the
PostgreSQL variants are skipped, unless `STKKR_REQUIRE_POSTGRES=1` (CI), which makes them fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from stkkr_tasks.store import ErrorStore
from stkkr_tasks.store._config import normalise_url

SERVER_URL = os.environ.get("STKKR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_TABLES = (
    "error_records",
    "done_keys",
    "run_once_keys",
    "stkkr_activity",
    "store_settings",
    "tenant_settings",
    "tenants",
    "users",
    "login_events",
    "portal_sessions",
    "invoices",
    "subject_requests",
    "stkkr_alembic_version",
)


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(SERVER_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this session (dropped afterwards)."""
    name = f"stkkr_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError) as exc:
        server = normalise_url(SERVER_URL).render_as_string(hide_password=True)
        reason = type(exc).__name__
        message = f"no PostgreSQL server answers at {server} ({reason}); start one with .ci/postgres"
        if os.environ.get("STKKR_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"STKKR_REQUIRE_POSTGRES=1 but {message}")
        pytest.skip(message)
    url = normalise_url(SERVER_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty stkkr database: a SQLite file of this test, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stkkr.db'}"
    return request.getfixturevalue("postgres_url")


async def drop_all(store: ErrorStore) -> None:
    """Remove every stkkr table, so the PostgreSQL database of the session is empty for the next test."""
    async with store.engine.begin() as connection:
        for table in _TABLES:
            await connection.execute(text(f"DROP TABLE IF EXISTS {table}"))


@pytest.fixture
def migrated_db_url(db_url: str) -> str:
    """`db_url`, emptied and migrated, for tests that are not async themselves (CLI)."""

    async def prepare() -> None:
        store = ErrorStore(db_url)
        await store.open(migrate=False)
        try:
            await drop_all(store)
            await store.migrate()
        finally:
            await store.aclose()

    asyncio.run(prepare())
    return db_url


@pytest.fixture
async def empty_store(db_url: str) -> AsyncIterator[ErrorStore]:
    """An opened store on an empty database (not migrated)."""
    store = ErrorStore(db_url)
    await store.open(migrate=False)
    await drop_all(store)
    try:
        yield store
    finally:
        await store.aclose()


@pytest.fixture
async def store(empty_store: ErrorStore) -> ErrorStore:
    """An opened, migrated store on an empty database."""
    await empty_store.migrate()
    return empty_store


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fingerprint key and a payload key from the environment (tests that need otherwise unset them)."""
    payload_key = Fernet.generate_key().decode()
    monkeypatch.setenv("STKKR_FINGERPRINT_KEY", "test-fingerprint-key")
    monkeypatch.setenv("STKKR_PAYLOAD_KEY", payload_key)
    return payload_key
