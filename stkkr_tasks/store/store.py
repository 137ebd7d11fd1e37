"""`ErrorStore`: the stkkr database of error records, run-once fingerprints and tenants' payload consent."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from stkkr_tasks.store import _migrate
from stkkr_tasks.store._config import default_database_url, display_url, normalise_url
from stkkr_tasks.store._engine import create_engine
from stkkr_tasks.store._schema import done_keys, error_records, tenant_settings
from stkkr_tasks.store.keys import aget_payload_key
from stkkr_tasks.store.payload import encrypt_payload
from stkkr_tasks.store.records import DEFAULT_TENANT, ConsentSetting, ErrorRecord, NewErrorRecord

logger = logging.getLogger("stkkr.store")

NO_KEY_NOTE = (
    " [payload not stored: the tenant consented, but no payload key is configured "
    "(STKKR_PAYLOAD_KEY or the Prefect Secret block 'stkkr-payload-key')]"
)
_CHUNK = 500  # values per IN (...) list, well below every backend's parameter limit


class ErrorStore:
    """The stkkr database (SQLite or PostgreSQL), opened as an async context manager.

    Example:
        ```python
        async with ErrorStore() as store:          # STKKR_DATABASE_URL or $STKKR_HOME/stkkr.db
            await store.add_errors([record])
            records = await store.list_errors(stkkr="close-finished-projects")
        ```

    Args:
        url: A SQLAlchemy URL (`sqlite:///…`, `postgresql://…`, or with the async driver); None uses
            `STKKR_DATABASE_URL`, else the SQLite file `stkkr.db` in `STKKR_HOME` (default `~/.stkkr`).
    """

    def __init__(self, url: str | None = None) -> None:
        self._url = normalise_url(url or default_database_url())
        self._engine: AsyncEngine | None = None

    def __repr__(self) -> str:
        return f"ErrorStore({self.url!r})"

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return display_url(self._url)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._url.get_backend_name()

    async def open(self, *, migrate: bool = True) -> None:
        """Create the engine and (by default) bring the schema to the newest revision."""
        if self._engine is None:
            self._engine = create_engine(self._url)
        if migrate:
            await self.migrate()

    async def aclose(self) -> None:
        """Close every connection of the engine."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def engine(self) -> AsyncEngine:
        """The open engine.

        Raises:
            RuntimeError: The store was not opened.
        """
        if self._engine is None:
            raise RuntimeError("the ErrorStore is not open; use `async with ErrorStore() as store:`")
        return self._engine

    async def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to `revision` (Alembic): idempotent, safe concurrently, keeps all data."""
        await _migrate.upgrade(self.engine, revision)

    async def revision(self) -> str | None:
        """The schema revision of the database (None when empty)."""
        return await _migrate.current_revision(self.engine)

    # -- error records ---------------------------------------------------------------------------------

    async def add_errors(self, records: Sequence[NewErrorRecord], *, now: datetime | None = None) -> None:
        """Store error records; a payload only under its tenant's consent, and then encrypted.

        When a tenant consented but no payload key is configured, the payload is refused (never stored in
        clear): the record is stored without it, with a note in its message.

        Args:
            records: The failures to store.
            now: Creation time of the records (default: the current time); for tests and imports.
        """
        if not records:
            return
        created_at = now or datetime.now(UTC)
        tenants = {record.tenant or DEFAULT_TENANT for record in records}
        consents = await self._consents(tenants)
        wants_payload = any(r.payload is not None and consents[r.tenant or DEFAULT_TENANT] for r in records)
        key = await aget_payload_key() if wants_payload else None
        if wants_payload and key is None:
            logger.warning("Failed payloads are not stored: consent is on, but no payload key is configured.")
        rows = [_row(r, consents[r.tenant or DEFAULT_TENANT], key, created_at) for r in records]
        async with self.engine.begin() as connection:
            await connection.execute(error_records.insert(), rows)

    async def list_errors(
        self, stkkr: str | None = None, limit: int = 100, *, row_key: str | None = None
    ) -> list[ErrorRecord]:
        """Error records, newest first.

        Args:
            stkkr: Only this stkkr's records.
            limit: At most this many.
            row_key: Only the records of this row fingerprint (`key_fingerprint`).
        """
        newest_first = (error_records.c.created_at.desc(), error_records.c.id.desc())
        query = select(error_records).order_by(*newest_first).limit(limit)
        if stkkr is not None:
            query = query.where(error_records.c.stkkr == stkkr)
        if row_key is not None:
            query = query.where(error_records.c.row_key == row_key)
        async with self.engine.connect() as connection:
            result = await connection.execute(query)
            return [ErrorRecord(**row._mapping) for row in result]

    async def get_error(self, record_id: int) -> ErrorRecord | None:
        """The error record with this id, or None."""
        async with self.engine.connect() as connection:
            query = select(error_records).where(error_records.c.id == record_id)
            row = (await connection.execute(query)).first()
        return None if row is None else ErrorRecord(**row._mapping)

    async def count_errors(self, before: datetime | None = None) -> int:
        """How many error records there are (created before `before`, when given)."""
        query = select(func.count()).select_from(error_records)
        if before is not None:
            query = query.where(error_records.c.created_at < before)
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def prune(self, before: datetime, batch_size: int = 10_000) -> int:
        """Delete the error records (with their payloads) created before `before`, in batches.

        Each batch is its own short transaction, so readers and writers are never held up long. Safe to run
        twice or concurrently: on PostgreSQL concurrent runs skip each other's locked rows; on SQLite they
        take turns.

        Args:
            before: Records created before this moment are deleted.
            batch_size: Records per batch.

        Returns:
            How many records this call deleted.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        batch = select(error_records.c.id).where(error_records.c.created_at < before).limit(batch_size)
        if self.backend == "postgresql":
            batch = batch.with_for_update(skip_locked=True)
        statement = delete(error_records).where(error_records.c.id.in_(batch.scalar_subquery()))
        total = 0
        while True:
            async with self.engine.begin() as connection:
                deleted = (await connection.execute(statement)).rowcount
            total += deleted
            if deleted < batch_size:
                return total

    # -- run-once fingerprints -------------------------------------------------------------------------

    async def done_keys(self, stkkr: str, fingerprints: Collection[str]) -> set[str]:
        """Those of `fingerprints` that were marked done for `stkkr`."""
        found: set[str] = set()
        async with self.engine.connect() as connection:
            for chunk in _chunks(fingerprints):
                query = select(done_keys.c.fingerprint).where(
                    done_keys.c.stkkr == stkkr, done_keys.c.fingerprint.in_(chunk)
                )
                found.update((await connection.execute(query)).scalars())
        return found

    async def mark_done(
        self, stkkr: str, fingerprints: Iterable[str], *, now: datetime | None = None
    ) -> None:
        """Record that the rows with these fingerprints succeeded for `stkkr` (marked ones are kept)."""
        created_at = now or datetime.now(UTC)
        async with self.engine.begin() as connection:
            for chunk in _chunks(fingerprints):
                rows = [{"stkkr": stkkr, "fingerprint": fp, "created_at": created_at} for fp in chunk]
                await connection.execute(self._insert(done_keys).on_conflict_do_nothing(), rows)

    # -- consent ---------------------------------------------------------------------------------------

    async def consent(self, tenant: str | None) -> bool:
        """Whether `tenant` (None: the default tenant) consented to storing failed payloads."""
        tenant = tenant or DEFAULT_TENANT
        return (await self._consents({tenant}))[tenant]

    async def set_consent(self, tenant: str | None, on: bool, *, now: datetime | None = None) -> None:
        """Switch `tenant`'s consent to storing failed payloads on or off (for records written later)."""
        values = {
            "tenant": tenant or DEFAULT_TENANT,
            "store_failed_payloads": on,
            "updated_at": now or datetime.now(UTC),
        }
        statement = self._insert(tenant_settings).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[tenant_settings.c.tenant],
            set_={"store_failed_payloads": on, "updated_at": values["updated_at"]},
        )
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def consents(self) -> list[ConsentSetting]:
        """Every tenant's stored consent setting, by tenant name (tenants not listed have consent off)."""
        query = select(tenant_settings).order_by(tenant_settings.c.tenant)
        async with self.engine.connect() as connection:
            return [ConsentSetting(**row._mapping) for row in await connection.execute(query)]

    async def _consents(self, tenants: Collection[str]) -> dict[str, bool]:
        query = select(tenant_settings.c.tenant, tenant_settings.c.store_failed_payloads).where(
            tenant_settings.c.tenant.in_(list(tenants))
        )
        async with self.engine.connect() as connection:
            stored = dict((await connection.execute(query)).tuples().all())
        return {tenant: bool(stored.get(tenant, False)) for tenant in tenants}

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.backend == "postgresql" else sqlite
        return dialect.insert(table)


def _row(record: NewErrorRecord, consent: bool, key: bytes | None, created_at: datetime) -> dict[str, Any]:
    message, token = record.message, None
    if consent and record.payload is not None:
        if key is None:
            message += NO_KEY_NOTE
        else:
            token = encrypt_payload(record.payload, key)
    return {
        "created_at": created_at,
        "stkkr": record.stkkr,
        "tenant": record.tenant or DEFAULT_TENANT,
        "flow_run_id": record.flow_run_id,
        "stage": record.stage,
        "row_key": record.row_key,
        "http_status": record.http_status,
        "error_number": record.error_number,
        "profit_log_reference": record.profit_log_reference,
        "message": message,
        "consent": consent,
        "payload_encrypted": token,
    }


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
