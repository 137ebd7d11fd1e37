"""Error records learn where their write went and how often it was retried (`stkkr retry`, `errors retry`).

`connector`, `action` and `connection` name the UpdateConnector, the action and the AfasConnection block of
a failed write (meta-information, never a value), so `stkkr errors retry ID` can resend a stored payload.
`retries` and `retried_at` count the retries that failed again: a retry updates the record it retried
instead of adding one. Existing records keep their data, with no target and no retries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = ("connector", "action", "connection", "retries", "retried_at")


def upgrade() -> None:
    """Add the write's target and the retry count to `error_records`."""
    with op.batch_alter_table("error_records") as table:
        table.add_column(sa.Column("connector", sa.String(100), nullable=True))
        table.add_column(sa.Column("action", sa.String(8), nullable=True))
        table.add_column(sa.Column("connection", sa.String(200), nullable=True))
        table.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the columns again (the records themselves are kept)."""
    with op.batch_alter_table("error_records") as table:
        for name in _COLUMNS:
            table.drop_column(name)
