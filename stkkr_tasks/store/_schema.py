"""The tables of the stkkr database (the current schema; migrations in `migrations/versions/` build it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
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
