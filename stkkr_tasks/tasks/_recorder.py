"""Failed rows become error records (meta-information only) and count towards the run's error policy."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stkkr_tasks.store import (
    NewErrorRecord,
    Stage,
    aget_fingerprint_key,
    key_fingerprint,
    message_template,
    redact,
)
from stkkr_tasks.tasks._context import StopSignal, WriteItem

if TYPE_CHECKING:
    from stkkr_tasks.spec import CompiledStkkr
    from stkkr_tasks.store import ErrorRetries, ErrorStore


_LOG_REFERENCE = re.compile(r"[0-9A-Fa-f-]{8,64}")
OUTCOME_UNKNOWN = (
    "Skipped: an earlier write of this row's unique key has an unknown outcome (it was sent, but no answer "
    "came back, or its run ended first), so the key stays reserved and no run writes the row again until "
    "you settle it. Check the record in AFAS, then `stkkr errors resolve ID --written` (it is there) or "
    "`--not-written` (the next run writes it)."
)
KEY_KEPT = (
    " The outcome is unknown, so the row's unique key stays reserved and later runs skip the row until you "
    "settle it: `stkkr errors resolve ID --written` or `--not-written`."
)


@dataclass
class Failure:
    """One failed row, before it is fingerprinted, redacted and stored.

    Attributes:
        stage: Where it failed: get, filter, transform, update or respond (the response write).
        row: The row as read; its values are removed from the message and its key is fingerprinted.
        message: What went wrong (AFAS's message or one of ours); redacted before storing.
        http_status: The HTTP status of AFAS's answer, if any.
        error_number: AFAS's errorNumber, if any.
        profit_log_reference: AFAS's profitLogReference, if any.
        item: The refused write (its element is the payload under consent; its values are redacted).
        from_afas: True when `message` is AFAS's own text: only its template is stored (`message_template`),
            the full text only in the consented, encrypted payload. Our own messages never hold a value
            by construction; the row's values are still removed from them.
        unique_key: The fingerprint of the row's `unique` key when it stays reserved (unknown outcome), so
            the record can settle it (`stkkr errors resolve`).
        rows: The rows of the failed group (with `group_by`; `row` is the first); empty for a single row.
        root: The root object of the refused write's body when it is not the run's (a `respond` write).
        environment: The AFAS environment of the refused write when it is not the run's (a `respond` write
            with its own connection).
        target: Where the refused write went when it is not the run's `update` (a `respond` write).
    """

    stage: Stage
    row: Mapping[str, Any] | None
    message: str
    http_status: int | None = None
    error_number: int | None = None
    profit_log_reference: str | None = None
    item: WriteItem | None = None
    from_afas: bool = False
    unique_key: str | None = None
    rows: Sequence[Mapping[str, Any]] = ()
    root: str | None = None
    environment: str | None = None
    target: WriteTarget | None = None


class ErrorRecorder:
    """Applies `on_error` / `max_errors` to failed rows and writes their error records in batches.

    The tasks count their own failed rows (in the `Counts` they return); the recorder keeps only the tally
    the error policy needs, across the pages written at the same time.

    Args:
        store: The open error store.
        stkkr: The stkkr's name.
        tenant: The tenant (consent for payloads is per tenant), or None.
        flow_run_id: The id of the current flow run.
        compiled: The compiled stkkr, for row keys.
        connector: The root object of request bodies (the connector id, or e.g. FiEntryPar), for payloads.
        on_error: "continue" or "stop".
        max_errors: Stop once more rows than this failed; None for no limit.
        consent: True when the tenant consented to storing refused payloads (encrypted by the store).
        dry_run: In a dry run failures are counted but not stored.
        names: Connector names, field ids and labels (from metainfo) that templates of AFAS's messages keep.
        environment: The AFAS environment written to (`environment_scope`), named in every record.
        target: The UpdateConnector id, the delete's sub-object (or None) and the AfasConnection block
            name: records of failed writes name the connector, action and connection, and a consented
            payload the sub-object, so `stkkr errors retry` can send it again.
        retry: In a retry run: a failure updates its row's open record instead of adding one.
    """

    def __init__(
        self,
        *,
        store: ErrorStore,
        stkkr: str,
        tenant: str | None,
        flow_run_id: str,
        compiled: CompiledStkkr,
        connector: str,
        on_error: str = "continue",
        max_errors: int | None = None,
        consent: bool = False,
        dry_run: bool = False,
        names: frozenset[str] = frozenset(),
        environment: str | None = None,
        target: WriteTarget | None = None,
        retry: ErrorRetries | None = None,
    ) -> None:
        self.store = store
        self.stop = StopSignal()
        self._stkkr = stkkr
        self._tenant = tenant
        self._flow_run_id = flow_run_id
        self._compiled = compiled
        self._connector = connector
        self._on_error = on_error
        self._max_errors = max_errors
        self._consent = consent
        self._dry_run = dry_run
        self._names = names
        self._environment = environment
        self._target = target or WriteTarget(connector)
        self._retry = retry
        #: In a retry: row fingerprints of the failures stored so far (it closes none of their records).
        self.failed_keys: set[str] = set()
        self._policy_failures = 0
        self._pending: list[Failure] = []
        self._secret: bytes | None = None

    def fail(self, failure: Failure) -> None:
        """Queue a failed row's (or group's) record and stop the run if the error policy says so."""
        self._pending.append(failure)
        self._policy_failures += 1
        if self._on_error == "stop":
            self.stop.set("Stopped at the first failed row (on_error: stop).")
        elif self._max_errors is not None and self._policy_failures > self._max_errors:
            limit = self._max_errors
            self.stop.set(f"Stopped: more than {limit} rows failed (max_errors: {limit}).")

    def queued(self) -> tuple[Failure, ...]:
        """The failures not yet written: in a dry run, every failure of the run (never written)."""
        return tuple(self._pending)

    def note(self, failure: Failure) -> None:
        """Queue an error record that is not a row (a page that could not be read); it is not counted."""
        self._pending.append(failure)

    @property
    def stops_at_first_failure(self) -> bool:
        """True for `on_error: stop`: rows are then written one at a time, so one failure stops the run."""
        return self._on_error == "stop"

    async def fingerprint_secret(self) -> bytes:
        """The key of row-key fingerprints, loaded once per run (it never lives in the stkkr database)."""
        if self._secret is None:
            self._secret = await aget_fingerprint_key()
        return self._secret

    async def fingerprint(self, values: tuple[Any, ...]) -> str:
        """The keyed fingerprint of a row's key values."""
        return key_fingerprint(await self.fingerprint_secret(), self._stkkr, values)

    async def flush(self) -> None:
        """Write the queued error records to the store (nothing is stored in a dry run)."""
        pending, self._pending = self._pending, []
        if self._dry_run or not pending:
            return
        records = [await self._record(failure) for failure in pending]
        if self._retry is not None:  # only a retry needs them (a normal run's failures may be many)
            self.failed_keys.update(record.row_key for record in records if record.row_key)
        await self.store.add_errors(records, retry=self._retry)

    async def _record(self, failure: Failure) -> NewErrorRecord:
        row_key = ""
        if failure.row is not None:
            try:
                row_key = await self.fingerprint(tuple(self._compiled.row_key(dict(failure.row))))
            except Exception:  # a row without its order_by fields still gets a record
                row_key = ""
        sent = self._sent(failure.item, failure.root or self._connector)
        rows: list[Any] = list(failure.rows) or [failure.row]  # a group's values are all of its rows
        message = redact(failure.message, [*rows, sent])
        if failure.from_afas:
            message = message_template(message, self._names)
        return NewErrorRecord(
            stkkr=self._stkkr,
            tenant=self._tenant,
            flow_run_id=self._flow_run_id,
            stage=failure.stage,
            row_key=row_key,
            http_status=failure.http_status,
            error_number=failure.error_number,
            profit_log_reference=_log_reference(failure.profit_log_reference),
            message=message,
            payload=self._payload(failure, sent),
            environment=failure.environment or self._environment,
            unique_key=failure.unique_key,
            **(failure.target or self._target).of(failure.item),
        )

    def _payload(self, failure: Failure, sent: dict[str, Any] | None) -> dict[str, Any] | None:
        """Under consent only (the store encrypts it): the write as sent and AFAS's full message."""
        if not self._consent:
            return None
        payload: dict[str, Any] = {}
        if sent is not None:
            payload["sent"] = sent
            target = failure.target or self._target
            if failure.item is not None and failure.item.element is None and target.object_name:
                payload["object"] = target.object_name
            if failure.item is not None and failure.item.unique is not None:
                payload["unique"] = failure.item.unique  # a fingerprint: a resend settles the run-once key
        if failure.from_afas:
            payload["message"] = failure.message
        return payload or None

    def _sent(self, item: WriteItem | None, root: str) -> dict[str, Any] | None:
        """The refused write as it was sent (its values are removed from messages)."""
        if item is None:
            return None
        if item.element is not None:
            return item.element.to_body(root)
        return {"keys": dict(item.delete_keys)} if item.delete_keys else None


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """Where a stkkr's writes go: meta-information its error records name (never a value).

    Attributes:
        connector: The UpdateConnector id.
        object_name: The sub-object of a delete, or None for the connector itself.
        connection: The AfasConnection block name.
    """

    connector: str
    object_name: str | None = None
    connection: str | None = None

    def of(self, item: WriteItem | None) -> dict[str, str | None]:
        """The target fields of a record: the connector, action and connection of a failed write."""
        if item is None:
            return {}
        action = "delete" if item.element is None else item.action
        return {"connector": self.connector, "action": action, "connection": self.connection}


def _log_reference(reference: str | None) -> str | None:
    """AFAS's `profitLogReference` (a hexadecimal id) as is; anything else only as a template."""
    if reference is None or _LOG_REFERENCE.fullmatch(reference):
        return reference
    return message_template(reference)
