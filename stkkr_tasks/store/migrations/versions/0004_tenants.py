"""Customers: tenants, users (Argon2id hashes), their login audit and portal sessions, invoices and
data-subject requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the six tables of `stkkr_tasks.tenants`."""
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("contact_phone", sa.String(50)),
        sa.Column("plan", sa.String(50)),
        sa.Column("licence_from", sa.Date()),
        sa.Column("licence_until", sa.Date()),
        _when("created_at", nullable=False),
        _when("last_interaction_at", nullable=False),
        _when("purged_at"),
    )
    op.create_table(
        "users",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(200), nullable=False, unique=True),
        sa.Column("tenant", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("api_token_hash", sa.String(64), unique=True),
        _when("created_at", nullable=False),
        _when("last_login_at"),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        _when("locked_until"),
    )
    op.create_index("ix_users_tenant", "users", ["tenant"])
    op.create_table(
        "login_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", _ID, nullable=False),
        _when("at", nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_events_user_id", "login_events", ["user_id"])
    op.create_table(
        "portal_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _when("expires_at", nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(50), nullable=False, unique=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("addressee", sa.String(200)),
    )
    op.create_index("ix_invoices_tenant", "invoices", ["tenant"])
    op.create_table(
        "subject_requests",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(320)),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        _when("answered_at"),
        _when("closed_at"),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_subject_requests_due_on", "subject_requests", ["due_on"])


def downgrade() -> None:
    """Drop the six tables."""
    for table in ("subject_requests", "invoices", "portal_sessions", "login_events", "users", "tenants"):
        op.drop_table(table)
