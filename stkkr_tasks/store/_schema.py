"""The tables of the stkkr database (the current schema; migrations in `migrations/versions/` build it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps of the stkkr database must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns; convert what PostgreSQL returns to UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

ID = BigInteger().with_variant(Integer(), "sqlite")
ENVIRONMENT_LENGTH = 500

error_records = Table(
    "error_records",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("stkkr", String(200), nullable=False),
    Column("tenant", String(200), nullable=False),
    Column("flow_run_id", String(64), nullable=True),
    Column("stage", String(16), nullable=False),
    Column("row_key", String(64), nullable=False),
    Column("http_status", Integer(), nullable=True),
    Column("error_number", BigInteger(), nullable=True),
    Column("profit_log_reference", String(64), nullable=True),
    Column("message", Text(), nullable=False),
    Column("consent", Boolean(), nullable=False, server_default=false()),
    Column("payload_encrypted", Text(), nullable=True),
    Column("environment", String(ENVIRONMENT_LENGTH), nullable=True),
    Column("unique_key", String(64), nullable=True),
    Column("resolution", String(16), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("connector", String(100), nullable=True),  # the failed write's target (migration 0005)
    Column("action", String(8), nullable=True),
    Column("connection", String(200), nullable=True),
    Column("retries", Integer(), nullable=False, server_default="0"),
    Column("retried_at", UTCDateTime(), nullable=True),
    Index("ix_error_records_created_at", "created_at"),
    Index("ix_error_records_stkkr_row_key", "stkkr", "row_key"),
)

#: The run-once guard: one row per `unique` key of a stkkr in an AFAS environment, from its reservation on.
run_once_keys = Table(
    "run_once_keys",
    metadata,
    Column("stkkr", String(200), primary_key=True),
    Column("environment", String(ENVIRONMENT_LENGTH), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("state", String(8), nullable=False),  # reserved | done | unknown
    Column("flow_run_id", String(64), nullable=True),
    Column("legacy", Boolean(), nullable=False, server_default=false()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

#: When each stkkr with `unique` last ran: its keys are deleted 30 days after it no longer exists.
stkkr_activity = Table(
    "stkkr_activity",
    metadata,
    Column("stkkr", String(200), primary_key=True),
    Column("last_run_at", UTCDateTime(), nullable=False),
)

#: Settings of the database itself, such as the check value of the fingerprint key.
store_settings = Table(
    "store_settings",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("store_failed_payloads", Boolean(), nullable=False, server_default=false()),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# -- customers (stkkr_tasks.tenants): migration 0004 ---------------------------------------------------

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(200), primary_key=True),  # the `tenant:` of stkkr files
    Column("name", String(200), nullable=False),
    Column("contact_name", String(200), nullable=True),  # contact person: personal data
    Column("contact_email", String(320), nullable=True),
    Column("contact_phone", String(50), nullable=True),
    Column("plan", String(50), nullable=True),
    Column("licence_from", Date(), nullable=True),
    Column("licence_until", Date(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_interaction_at", UTCDateTime(), nullable=False),
    Column("purged_at", UTCDateTime(), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("tenant", String(200), nullable=True),  # None: an operator, who sees every tenant
    Column("email", String(320), nullable=True),
    Column("password_hash", Text(), nullable=False),
    Column("api_token_hash", String(64), nullable=True, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_login_at", UTCDateTime(), nullable=True),
    Column("failed_logins", Integer(), nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime(), nullable=True),
    Index("ix_users_tenant", "tenant"),
)

login_events = Table(
    "login_events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("user_id", ID, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("success", Boolean(), nullable=False),
    Index("ix_login_events_user_id", "user_id"),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie value
    Column("user_id", ID, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("number", String(50), nullable=False, unique=True),
    Column("tenant", String(200), nullable=False),
    Column("date", Date(), nullable=False),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("addressee", String(200), nullable=True),  # the person invoiced: replaced on erasure
    Index("ix_invoices_tenant", "tenant"),
)

subject_requests = Table(
    "subject_requests",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("tenant", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # access | rectify | erase
    Column("subject", String(320), nullable=True),  # the person's e-mail; cleared once erased and closed
    Column("received_on", Date(), nullable=False),
    Column("due_on", Date(), nullable=False),
    Column("answered_at", UTCDateTime(), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("note", Text(), nullable=True),
    Index("ix_subject_requests_due_on", "due_on"),
)
