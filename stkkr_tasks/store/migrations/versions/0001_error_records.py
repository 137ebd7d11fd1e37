"""Error records (meta-information only) and the run-once guard `done_keys`.

Revision ID: 0001
Revises:
Create Date: 2025-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create `error_records` and `done_keys`."""
    op.create_table(
        "error_records",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stkkr", sa.String(200), nullable=False),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("row_key", sa.String(64), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_number", sa.BigInteger(), nullable=True),
        sa.Column("profit_log_reference", sa.String(64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_error_records_created_at", "error_records", ["created_at"])
    op.create_index("ix_error_records_stkkr_row_key", "error_records", ["stkkr", "row_key"])
    op.create_table(
        "done_keys",
        sa.Column("stkkr", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("done_keys")
    op.drop_index("ix_error_records_stkkr_row_key", table_name="error_records")
    op.drop_index("ix_error_records_created_at", table_name="error_records")
    op.drop_table("error_records")
