"""A retry run (`stkkr retry`): process only the rows with an open error record, then settle those records.

The run reads the stkkr's source as usual. The fingerprints of the open records are loaded once, when the
run starts (fingerprints, never values); a row whose key fingerprint is not among them is passed over
before the filter, so it is never transformed nor written. The `filter` still applies to the others: a
retry writes only what the stkkr itself would write now, and a row the filter no longer keeps has nothing
left to retry, so its records are closed as `filtered-out`. A row written now closes its records as
`retried` (as does a row whose `unique` key a run wrote since); a row that fails again updates its newest
record (`ErrorRecorder` in retry mode). Records whose row was not read again stay open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from stkkr_tasks.store import FILTERED_OUT, RETRIED, key_fingerprint, legacy_fingerprint

if TYPE_CHECKING:
    from stkkr_tasks.spec import CompiledStkkr
    from stkkr_tasks.store import ErrorRetries, OpenErrors


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    """What a retry did to the open error records it started with (counts of records, not rows).

    Attributes:
        open: Open records the retry could match by row fingerprint.
        closed: Records closed because their row was written now (or its `unique` key was written since).
        filtered_out: Records closed because the stkkr's `filter` no longer keeps their row.
        unmatched: Row fingerprints of open records whose row was not read again (still open).
        page_reads: Open records of pages that could not be read (no row key): never retried by row.
        unknown_outcome: Open records whose write has an unknown outcome (`stkkr errors resolve` first).
        responses: Open records of response writes (`respond`): a retry would repeat the first write.
    """

    open: int = 0
    closed: int = 0
    filtered_out: int = 0
    unmatched: int = 0
    page_reads: int = 0
    unknown_outcome: int = 0
    responses: int = 0


class RetryScope:
    """The open error records of a retry run, by row fingerprint, and what became of their rows.

    Args:
        retries: The stkkr's open records in the stkkr database.
        open_errors: Their fingerprints, loaded once when the run starts.
        secret: The fingerprint key.
        stkkr: The stkkr's name (part of every fingerprint).
        compiled: The compiled stkkr, for row keys (`get.order_by`, or `group_by` for groups).
    """

    def __init__(
        self,
        *,
        retries: ErrorRetries,
        open_errors: OpenErrors,
        secret: bytes,
        stkkr: str,
        compiled: CompiledStkkr,
    ) -> None:
        self._retries = retries
        self._open = open_errors
        self._secret = secret
        self._stkkr = stkkr
        self._compiled = compiled
        self._seen: set[str] = set()
        self._written: set[str] = set()
        self._filtered: set[str] = set()

    def __repr__(self) -> str:
        return f"RetryScope({len(self._open.fingerprints)} open rows)"

    @property
    def has_open(self) -> bool:
        """Whether any open record can be matched by row (without one, the run need not read anything)."""
        return bool(self._open.fingerprints)

    def select(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows of a page that have an open error record, in order; the others are passed over."""
        selected = []
        for row in rows:
            fingerprint = self._match(row)
            if fingerprint is not None:
                self._seen.add(fingerprint)
                selected.append(row)
        return selected

    def written(self, row: Mapping[str, Any]) -> None:
        """Note a row (or the first row of a group) that was written now, or whose key a run wrote since."""
        fingerprint = self._match(row)
        if fingerprint is not None:
            self._written.add(fingerprint)

    def filtered_out(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Note rows the `filter` no longer keeps."""
        for row in rows:
            fingerprint = self._match(row)
            if fingerprint is not None:
                self._filtered.add(fingerprint)

    async def settle(self, failed: set[str], *, now: datetime | None = None) -> RetryOutcome:
        """Close the records of the rows written or filtered out (not those that failed too).

        Args:
            failed: Row fingerprints that failed in this run (their records were updated instead).
            now: The time of the retry (default: the clock).
        """
        now = now or datetime.now(UTC)
        closed = await self._retries.close(self._written - failed, RETRIED, now)
        dropped = await self._retries.close(self._filtered - failed - self._written, FILTERED_OUT, now)
        return self.outcome(closed, dropped)

    def outcome(self, closed: int = 0, filtered_out: int = 0) -> RetryOutcome:
        """The counts of the retry (a dry run closes nothing)."""
        return RetryOutcome(
            open=self._open.records,
            closed=closed,
            filtered_out=filtered_out,
            unmatched=len(self._open.fingerprints - self._seen),
            page_reads=self._open.page_reads,
            unknown_outcome=self._open.unknown_outcome,
            responses=self._open.responses,
        )

    def _match(self, row: Mapping[str, Any]) -> str | None:
        """The row key's fingerprint as an open record holds it (typed, or text-only of old), or None."""
        try:
            values = self._compiled.row_key(row)
        except Exception:  # a row without its key fields matches no record
            return None
        fingerprint = key_fingerprint(self._secret, self._stkkr, values)
        if fingerprint in self._open.fingerprints:
            return fingerprint
        legacy = legacy_fingerprint(self._secret, self._stkkr, values)
        return legacy if legacy in self._open.fingerprints else None
