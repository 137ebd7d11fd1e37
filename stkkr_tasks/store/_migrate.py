"""Run the Alembic migrations shipped in `stkkr_tasks/store/migrations` on an open async engine.

Concurrent callers are serialised: SQLite takes its write lock up front (`BEGIN IMMEDIATE`), PostgreSQL an
advisory transaction lock, so two processes opening a fresh database never both create its tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

VERSION_TABLE = "stkkr_alembic_version"
_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_ID = 0x5374_6B6B  # "Stkk": the advisory lock that serialises stkkr migrations


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of stkkr."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "stkkr ships at least one migration"
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` in one transaction (a no-op when already there).

    Args:
        engine: An open async engine of the stkkr database.
        revision: Target revision; "head" (the default) is the newest shipped one.
    """
    async with engine.connect() as connection:
        connection = await connection.execution_options(sqlite_begin="IMMEDIATE")
        async with connection.begin():
            await connection.run_sync(_upgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
