"""Run-once keys per AFAS environment, reserved before their write; the fingerprint key's check value.

`done_keys` becomes `run_once_keys`: a key is reserved before its write and marked done (or released)
after it, per stkkr *and AFAS environment*. Existing keys are kept as done, with an empty environment and
marked `legacy` (text-only fingerprints); a stkkr's first run after the upgrade adopts them for the
environment it writes to. `stkkr_activity` remembers when each stkkr last ran, `store_settings` holds the
check value of the fingerprint key, and error records learn their environment, their `unique` key (for
`stkkr errors resolve`) and how they were resolved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ENVIRONMENT = 500


def upgrade() -> None:
    """Create the new tables, move `done_keys` into `run_once_keys`, extend `error_records`."""
    op.create_table(
        "run_once_keys",
        sa.Column("stkkr", sa.String(200), primary_key=True),
        sa.Column("environment", sa.String(_ENVIRONMENT), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("legacy", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "stkkr_activity",
        sa.Column("stkkr", sa.String(200), primary_key=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "store_settings",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO run_once_keys (stkkr, environment, fingerprint, state, legacy, created_at, updated_at) "
        "SELECT stkkr, '', fingerprint, 'done', true, created_at, created_at FROM done_keys"
    )
    op.execute(
        "INSERT INTO stkkr_activity (stkkr, last_run_at) "
        "SELECT stkkr, max(created_at) FROM done_keys GROUP BY stkkr"
    )
    op.drop_table("done_keys")
    with op.batch_alter_table("error_records") as batch:
        batch.add_column(sa.Column("environment", sa.String(_ENVIRONMENT), nullable=True))
        batch.add_column(sa.Column("unique_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(16), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Back to `done_keys` (the keys that are done, once per stkkr); the new columns and tables go."""
    with op.batch_alter_table("error_records") as batch:
        batch.drop_column("resolved_at")
        batch.drop_column("resolution")
        batch.drop_column("unique_key")
        batch.drop_column("environment")
    op.create_table(
        "done_keys",
        sa.Column("stkkr", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO done_keys (stkkr, fingerprint, created_at) "
        "SELECT stkkr, fingerprint, min(created_at) FROM run_once_keys WHERE state = 'done' "
        "GROUP BY stkkr, fingerprint"
    )
    op.drop_table("store_settings")
    op.drop_table("stkkr_activity")
    op.drop_table("run_once_keys")
