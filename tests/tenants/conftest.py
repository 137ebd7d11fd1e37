"""Fixtures of the customer tests: each runs on SQLite and on PostgreSQL, like tests/store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from stkkr_tasks.store import ErrorStore
from stkkr_tasks.store._schema import run_once_keys
from stkkr_tasks.tenants import TenantStore
from tests.store.conftest import _keys, db_url, empty_store, migrated_db_url, postgres_url, store

__all__ = ["_keys", "db_url", "empty_store", "migrated_db_url", "postgres_url", "store"]

PASSWORD = "correct horse battery"


@pytest.fixture
def tenants(store: ErrorStore) -> TenantStore:
    """A tenant store on an empty, migrated database."""
    return TenantStore(store)


async def add_run_once_keys(store: ErrorStore, stkkr: str, fingerprints: list[str]) -> None:
    """Mark `fingerprints` written for `stkkr` (one AFAS environment), as a run's run-once guard does."""
    now = datetime.now(UTC)
    rows = [
        {
            "stkkr": stkkr,
            "environment": "env",
            "fingerprint": fp,
            "state": "done",
            "created_at": now,
            "updated_at": now,
        }
        for fp in fingerprints
    ]
    async with store.engine.begin() as connection:
        await connection.execute(run_once_keys.insert(), rows)


async def run_once_fingerprints(store: ErrorStore, stkkr: str) -> set[str]:
    """The run-once fingerprints stored for `stkkr`."""
    query = select(run_once_keys.c.fingerprint).where(run_once_keys.c.stkkr == stkkr)
    async with store.engine.connect() as connection:
        return set((await connection.execute(query)).scalars())
