"""Payload consent: per-tenant `tenant_settings`, and the consent flag and encrypted payload of error records.

Existing error records keep their data and get `consent = false` (they were written without consent).

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `tenant_settings`; add `consent` and `payload_encrypted` to `error_records`."""
    op.create_table(
        "tenant_settings",
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("store_failed_payloads", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("error_records") as batch:
        batch.add_column(sa.Column("consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("payload_encrypted", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the payload columns and `tenant_settings`."""
    with op.batch_alter_table("error_records") as batch:
        batch.drop_column("payload_encrypted")
        batch.drop_column("consent")
    op.drop_table("tenant_settings")
