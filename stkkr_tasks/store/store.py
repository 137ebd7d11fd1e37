"""`ErrorStore`: the stkkr database of error records, run-once fingerprints and tenants' payload consent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stkkr_tasks.store import _migrate
from stkkr_tasks.store._batches import chunks
from stkkr_tasks.store._config import default_database_url, display_url, normalise_url
from stkkr_tasks.store._engine import create_engine
from stkkr_tasks.store._rows import error_rows
from stkkr_tasks.store._schema import (
    error_records,
    run_once_keys,
    stkkr_activity,
    store_settings,
    tenant_settings,
)
from stkkr_tasks.store.errors import FingerprintKeyMismatch
from stkkr_tasks.store.fingerprint import key_check_value
from stkkr_tasks.store.records import DEFAULT_TENANT, ConsentSetting, ErrorRecord, NewErrorRecord
from stkkr_tasks.store.retention import MAX_RETENTION_DAYS, check_retention_days, retention_cutoff
from stkkr_tasks.store.retries import ErrorRetries
from stkkr_tasks.store.run_once import RunOnceKeys

_KEY_CHECK = "fingerprint_key_check"
_RETENTION_DAYS = "retention_days"


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

    async def add_errors(
        self,
        records: Sequence[NewErrorRecord],
        *,
        now: datetime | None = None,
        retry: ErrorRetries | None = None,
    ) -> None:
        """Store error records; a payload only under its tenant's consent, and then encrypted.

        When a tenant consented but no payload key is configured, the payload is refused (never stored in
        clear): the record is stored without it, with a note in its message.

        Args:
            records: The failures to store.
            now: Creation time of the records (default: the current time); for tests and imports.
            retry: In a retry (`stkkr retry`): each failure updates the open record of its row instead.
        """
        if not records:
            return
        created_at = now or datetime.now(UTC)
        tenants = {record.tenant or DEFAULT_TENANT for record in records}
        consents = await self._consents(tenants)
        rows = await error_rows(records, consents, created_at)
        async with self.engine.begin() as connection:
            if retry is None:
                await connection.execute(error_records.insert(), rows)
            else:
                await retry.refail(connection, rows, created_at)

    async def retries(self, stkkr: str, environment: str, *, now: datetime | None = None) -> ErrorRetries:
        """The open error records of `stkkr` for writes to `environment`, as `stkkr retry` works on them."""
        cutoff = retention_cutoff(await self.retention_days(), now)
        return ErrorRetries(self.engine, stkkr, environment, cutoff)

    async def close_error(self, record_id: int, resolution: str, *, now: datetime | None = None) -> bool:
        """Close one open error record with `resolution`; False when it was closed already."""
        statement = (
            update(error_records)
            .where(error_records.c.id == record_id, error_records.c.resolution.is_(None))
            .values(resolution=resolution, resolved_at=now or datetime.now(UTC))
        )
        async with self.engine.begin() as connection:
            return bool((await connection.execute(statement)).rowcount)

    async def list_errors(
        self,
        stkkr: str | None = None,
        limit: int = 100,
        *,
        row_key: str | Collection[str] | None = None,
        environment: str | None = None,
        now: datetime | None = None,
        flow_run_id: str | None = None,
    ) -> list[ErrorRecord]:
        """Error records within the retention period, newest first (older ones are never returned).

        Args:
            stkkr: Only this stkkr's records.
            limit: At most this many.
            row_key: Only the records of this row fingerprint, or of any of these (`lookup_fingerprints`).
            environment: Only the records of writes to this AFAS environment (`environment_scope`).
            now: The current time (for tests); default: the clock.
            flow_run_id: Only the records of this flow run.
        """
        newest_first = (error_records.c.created_at.desc(), error_records.c.id.desc())
        query = select(error_records).where(await self._retained(now)).order_by(*newest_first).limit(limit)
        if stkkr is not None:
            query = query.where(error_records.c.stkkr == stkkr)
        if isinstance(row_key, str):
            query = query.where(error_records.c.row_key == row_key)
        elif row_key is not None:
            query = query.where(error_records.c.row_key.in_(list(row_key)))
        if environment is not None:
            query = query.where(error_records.c.environment == environment)
        if flow_run_id is not None:
            query = query.where(error_records.c.flow_run_id == flow_run_id)
        async with self.engine.connect() as connection:
            result = await connection.execute(query)
            return [ErrorRecord(**row._mapping) for row in result]

    async def get_error(self, record_id: int, *, now: datetime | None = None) -> ErrorRecord | None:
        """The error record with this id, or None (also when it is older than the retention period)."""
        query = select(error_records).where(error_records.c.id == record_id, await self._retained(now))
        async with self.engine.connect() as connection:
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

    # -- run-once keys ---------------------------------------------------------------------------------

    def run_once(self, stkkr: str, environment: str) -> RunOnceKeys:
        """The run-once keys of `stkkr` in the AFAS environment `environment` (`environment_scope`)."""
        return RunOnceKeys(self.engine, stkkr, environment)

    async def resolve_error(self, record_id: int, *, written: bool, now: datetime | None = None) -> bool:
        """Settle an error record whose write had an unknown outcome, and the run-once key it holds.

        Written: the key is marked done, so no run writes the row again. Not written: the key is released,
        so the next run writes the row. The record notes the resolution either way.

        Returns:
            True when a reserved or unknown run-once key was settled; False when the record holds no such
            key (no `unique`, or the key was settled before).

        Raises:
            LookupError: There is no such record within the retention period.
        """
        record = await self.get_error(record_id, now=now)
        if record is None:
            raise LookupError(f"no error record with id {record_id}")
        now = now or datetime.now(UTC)
        settled = False
        if record.unique_key and record.environment:
            keys = self.run_once(record.stkkr, record.environment)
            settled = await keys.resolve(record.unique_key, written=written, now=now)
        resolution = "written" if written else "not-written"
        same_key = (
            error_records.c.stkkr == record.stkkr,
            error_records.c.environment == record.environment,
            error_records.c.unique_key == record.unique_key,
        )
        target = and_(*same_key) if record.unique_key else error_records.c.id == record_id
        statement = (
            update(error_records)
            .where(target, error_records.c.resolution.is_(None))
            .values(resolution=resolution, resolved_at=now)
        )
        async with self.engine.begin() as connection:
            await connection.execute(statement)
        return settled

    async def prune_run_once_keys(
        self, before: datetime, keep: Collection[str], *, dry_run: bool = False
    ) -> int:
        """Delete the run-once keys of stkkrs that no longer exist: not run since `before` and not in `keep`.

        Args:
            before: Keys of a stkkr whose last run started before this moment may go.
            keep: Names of stkkrs that exist (deployed), whose keys stay however long ago they ran.
            dry_run: Only count them.

        Returns:
            How many keys were (or would be) deleted.
        """
        gone = select(stkkr_activity.c.stkkr).where(stkkr_activity.c.last_run_at < before)
        if keep:
            gone = gone.where(stkkr_activity.c.stkkr.not_in(list(keep)))
        async with self.engine.begin() as connection:
            names = list((await connection.execute(gone)).scalars())
            deleted = 0
            for chunk in chunks(names):
                of_chunk = run_once_keys.c.stkkr.in_(chunk)
                if dry_run:
                    counted = select(func.count()).select_from(run_once_keys).where(of_chunk)
                    deleted += int((await connection.execute(counted)).scalar_one())
                    continue
                deleted += (await connection.execute(delete(run_once_keys).where(of_chunk))).rowcount
                await connection.execute(delete(stkkr_activity).where(stkkr_activity.c.stkkr.in_(chunk)))
        return deleted

    # -- settings of the database ----------------------------------------------------------------------

    async def check_fingerprint_key(self, secret: bytes, *, replace: bool = False) -> None:
        """Make sure `secret` is the fingerprint key this database was used with; remember it on first use.

        Args:
            secret: The fingerprint key of this run.
            replace: Accept `secret` as the new key and forget every run-once key made with the old one
                (`stkkr run-once reset-key`); their rows would no longer be recognised anyway.

        Raises:
            FingerprintKeyMismatch: Another key was used with this database (and `replace` is False).
        """
        check = key_check_value(secret)
        stored = await self._setting(_KEY_CHECK)
        if stored == check:
            return
        if stored is not None and not replace:
            raise FingerprintKeyMismatch(check, stored)
        async with self.engine.begin() as connection:
            if stored is not None:
                await connection.execute(delete(run_once_keys))
            await self._put_setting(connection, _KEY_CHECK, check)

    async def retention_days(self) -> int:
        """The retention period of error records in days: the last one the retention flow used, else 30."""
        stored = await self._setting(_RETENTION_DAYS)
        return check_retention_days(int(stored)) if stored else MAX_RETENTION_DAYS

    async def set_retention_days(self, days: int) -> None:
        """Remember the retention period (1 to 30 days): `list_errors` and `get_error` hide older records."""
        async with self.engine.begin() as connection:
            await self._put_setting(connection, _RETENTION_DAYS, str(check_retention_days(days)))

    async def _retained(self, now: datetime | None) -> ColumnElement[bool]:
        return error_records.c.created_at >= retention_cutoff(await self.retention_days(), now)

    async def _setting(self, name: str) -> str | None:
        query = select(store_settings.c.value).where(store_settings.c.name == name)
        async with self.engine.connect() as connection:
            return (await connection.execute(query)).scalar_one_or_none()

    async def _put_setting(self, connection: AsyncConnection, name: str, value: str) -> None:
        now = datetime.now(UTC)
        statement = self._insert(store_settings).values(name=name, value=value, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[store_settings.c.name], set_={"value": value, "updated_at": now}
        )
        await connection.execute(statement)

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
