"""Run the Alembic migrations shipped in `stkkr_tasks/store/migrations` on an open async engine.

Concurrent callers are serialised: SQLite takes its write lock up front (`BEGIN IMMEDIATE`), PostgreSQL an
advisory transaction lock, so two processes opening a fresh database never both create its tables.

A database already at the newest revision (every run after the first) is recognised with one query, without
loading Alembic (about 0.15 s of imports) or taking the write lock: each migration's revision is the
four-digit prefix of its file name, so the newest one is known from the file names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "stkkr_alembic_version"
_MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION_FILE = re.compile(r"(\d{4})_\w+\.py")
_PG_LOCK_ID = 0x5374_6B6B  # "Stkk": the advisory lock that serialises stkkr migrations


def _config() -> Config:
    # lazy: Alembic (with Mako and Pygments) loads only when the schema must change or be inspected
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command  # lazy: see _config

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext  # lazy: see _config

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of stkkr (as Alembic's script directory says)."""
    from alembic.script import ScriptDirectory  # lazy: see _config

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "stkkr ships at least one migration"
    return head


def shipped_head() -> str:
    """The newest revision shipped, from the migrations' file names (`0004_tenants.py` is revision 0004)."""
    return max(
        found.group(1)
        for path in (_MIGRATIONS / "versions").iterdir()
        if (found := _REVISION_FILE.fullmatch(path.name))
    )


async def _recorded_revisions(engine: AsyncEngine) -> list[str]:
    """The revisions the version table holds (none when the table does not exist yet)."""
    async with engine.connect() as connection:
        try:
            result = await connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        except DBAPIError:
            return []
        return [str(row[0]) for row in result]


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` in one transaction (a no-op when already there).

    Args:
        engine: An open async engine of the stkkr database.
        revision: Target revision; "head" (the default) is the newest shipped one.
    """
    if revision == "head" and await _recorded_revisions(engine) == [shipped_head()]:
        return
    async with engine.connect() as connection:
        connection = await connection.execution_options(sqlite_begin="IMMEDIATE")
        async with connection.begin():
            await connection.run_sync(_upgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
