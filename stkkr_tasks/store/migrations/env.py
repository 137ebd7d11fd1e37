"""Alembic environment of the stkkr database; run programmatically by `stkkr_tasks.store.ErrorStore.migrate`.

The caller passes an open synchronous connection in `config.attributes["connection"]` and owns its
transaction.
"""

from __future__ import annotations

from alembic import context

from stkkr_tasks.store._migrate import VERSION_TABLE
from stkkr_tasks.store._schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("stkkr migrations run through ErrorStore.migrate(), which passes an open connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
