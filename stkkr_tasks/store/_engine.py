"""Create the async SQLAlchemy engine of the stkkr database, with SQLite set up for safe concurrent use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never block the writer
    "PRAGMA busy_timeout=30000",  # writers wait for each other instead of failing
    "PRAGMA secure_delete=ON",  # pruned records are overwritten, not left in free pages of the file
)


def create_engine(url: URL) -> AsyncEngine:
    """An async engine for `url` (driver aiosqlite or asyncpg).

    On SQLite, every connection runs the pragmas above, and transactions are begun by SQLAlchemy itself so
    that DDL is transactional and `execution_options(sqlite_begin="IMMEDIATE")` takes the write lock first.
    """
    engine = create_async_engine(url, pool_pre_ping=url.get_backend_name() == "postgresql")
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own; _sqlite_begin does
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".rstrip())
