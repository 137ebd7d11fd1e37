"""Fixtures of the customer tests: each runs on SQLite and on PostgreSQL, like tests/store."""

from __future__ import annotations

import pytest

from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore
from tests.store.conftest import _keys, db_url, empty_store, migrated_db_url, postgres_url, store

__all__ = ["_keys", "db_url", "empty_store", "migrated_db_url", "postgres_url", "store"]

PASSWORD = "correct horse battery"


@pytest.fixture
def tenants(store: ErrorStore) -> TenantStore:
    """A tenant store on an empty, migrated database."""
    return TenantStore(store)
