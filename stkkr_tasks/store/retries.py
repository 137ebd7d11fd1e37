"""The open error records of a stkkr as `stkkr retry` works on them: by row fingerprint, never by value.

A record is *open* while it has no resolution. A retry reads the fingerprints of the open records once, at
the start of its run; afterwards it closes the records of the rows that now succeed (`close`) and updates
the newest open record of each row that fails again (`refail`) instead of adding one. Records of page
reads have no row key, records of writes with an unknown outcome keep their row's `unique` key reserved
(`stkkr errors resolve` settles those), and records of response writes (`respond`) follow a write that
succeeded, which a retry would send again: none of them is retried by fingerprint.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stkkr_tasks.store._batches import chunks
from stkkr_tasks.store._schema import error_records

#: Resolutions a retry gives: the row was written now, or the stkkr's `filter` no longer keeps it.
RETRIED = "retried"
FILTERED_OUT = "filtered-out"
#: `stkkr errors retry ID`: the stored payload was sent again and AFAS accepted it.
RESENT = "resent"

_RESPOND = "respond"

#: The columns a failure that happens again replaces in its record (the rest stays: id, created_at, row).
_REPLACED = (
    "flow_run_id",
    "stage",
    "http_status",
    "error_number",
    "profit_log_reference",
    "message",
    "consent",
    "payload_encrypted",
    "connector",
    "action",
    "connection",
)


@dataclass(frozen=True, slots=True)
class OpenErrors:
    """What a retry may work on: the row fingerprints of a stkkr's open error records, and what it may not.

    Attributes:
        fingerprints: Row fingerprints of the open records a retry can match (each once).
        records: How many open records those fingerprints stand for (a row that failed in several runs
            has several).
        page_reads: Open records of pages that could not be read: they have no row key, so no row matches
            them (the next run reads those pages again anyway).
        unknown_outcome: Open records of writes whose outcome is unknown: their `unique` key stays reserved
            until `stkkr errors resolve` settles it, so a retry leaves them alone.
        responses: Open records of response writes (`respond`): their row's first write succeeded and a
            retry would send it again, so it leaves them alone (`stkkr errors retry ID` resends one).
    """

    fingerprints: frozenset[str]
    records: int = 0
    page_reads: int = 0
    unknown_outcome: int = 0
    responses: int = 0


class ErrorRetries:
    """The open error records of one stkkr for writes to one AFAS environment.

    Args:
        engine: The stkkr database.
        stkkr: The stkkr's name.
        environment: The AFAS environment written to (`environment_scope`); records without one match too.
        retained_from: Records created before this moment are past the retention period and never touched.
    """

    def __init__(self, engine: AsyncEngine, stkkr: str, environment: str, retained_from: datetime) -> None:
        self._engine = engine
        self._stkkr = stkkr
        self._environment = environment
        self._retained_from = retained_from

    def __repr__(self) -> str:
        return f"ErrorRetries({self._stkkr!r}, {self._environment!r})"

    async def open_errors(self, since: datetime | None = None) -> OpenErrors:
        """The open records, by row fingerprint.

        Args:
            since: Only records whose last failure (first, or last retry) is at or after this moment.
        """
        columns = (error_records.c.row_key, error_records.c.unique_key, error_records.c.stage)
        query = select(*columns).where(self._open())
        if since is not None:
            last_failure = func.coalesce(error_records.c.retried_at, error_records.c.created_at)
            query = query.where(last_failure >= since)
        fingerprints: set[str] = set()
        records = page_reads = unknown = responses = 0
        async with self._engine.connect() as connection:
            for row_key, unique_key, stage in await connection.execute(query):
                if not row_key:
                    page_reads += 1
                elif unique_key is not None:
                    unknown += 1
                elif stage == _RESPOND:
                    responses += 1
                else:
                    records += 1
                    fingerprints.add(row_key)
        return OpenErrors(frozenset(fingerprints), records, page_reads, unknown, responses)

    async def close(self, fingerprints: Collection[str], resolution: str, now: datetime) -> int:
        """Close every open record of these row fingerprints with `resolution`; returns how many."""
        closed = 0
        async with self._engine.begin() as connection:
            for chunk in chunks(fingerprints):
                statement = (
                    update(error_records)
                    .where(
                        self._open(), error_records.c.unique_key.is_(None), error_records.c.row_key.in_(chunk)
                    )
                    .values(resolution=resolution, resolved_at=now)
                )
                closed += (await connection.execute(statement)).rowcount
        return closed

    async def refail(
        self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]], now: datetime
    ) -> None:
        """Store failures of a retry: each updates the newest open record of its row, or becomes a new one.

        Args:
            connection: The open transaction to write in.
            rows: The records as `error_records` rows (consent applied, payload encrypted).
            now: The time of the retry.
        """
        new: list[Mapping[str, Any]] = []
        for row in rows:
            # One statement per row, a write from the start: on SQLite a read first would hold a shared
            # lock that a concurrent page's write cannot pass (SQLITE_BUSY instead of a wait).
            newest = (
                select(error_records.c.id)
                .where(self._retryable(), error_records.c.row_key == row["row_key"])
                .order_by(error_records.c.created_at.desc(), error_records.c.id.desc())
                .limit(1)
                .scalar_subquery()
            )
            values = {name: row[name] for name in _REPLACED}
            statement = (
                update(error_records)
                .where(error_records.c.id == newest)
                .values(**values, retries=error_records.c.retries + 1, retried_at=now)
            )
            if not row["row_key"] or not (await connection.execute(statement)).rowcount:
                new.append(row)
        if new:
            await connection.execute(error_records.insert(), new)

    def _retryable(self) -> ColumnElement[bool]:
        """Open records a retry may close or update: not those of an unknown outcome or a response write."""
        return and_(self._open(), error_records.c.unique_key.is_(None), error_records.c.stage != _RESPOND)

    def _open(self) -> ColumnElement[bool]:
        """Open records of this stkkr and environment within the retention period."""
        return and_(
            error_records.c.stkkr == self._stkkr,
            or_(error_records.c.environment == self._environment, error_records.c.environment.is_(None)),
            error_records.c.resolution.is_(None),
            error_records.c.created_at >= self._retained_from,
        )
