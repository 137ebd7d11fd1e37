"""`stkkr errors retry ID`: send a failed write's stored payload to AFAS again, perhaps edited by hand.

Only a record written under the tenant's consent holds its payload (encrypted). The payload goes to the
record's UpdateConnector with the record's action, through the record's AfasConnection block; once AFAS
accepts it the record is closed (`resent`). A stkkr with `unique` keeps its guarantee: the row's run-once
key is reserved before the payload is sent (refused when a run wrote the key since) and marked done after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stkkr_tasks.afas import AfasError, AfasValidationError
from stkkr_tasks.connections import ConnectionBlockError, aload_connection
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.store import (
    RESENT,
    ErrorRecord,
    ErrorStore,
    PayloadKeyError,
    aget_payload_key,
    decrypt_payload,
)
from stkkr_tasks.tasks._errors import outcome_unknown

#: Edits a payload before it is sent (`--edit` opens `$EDITOR` on it); gets and returns the request body.
Edit = Callable[[dict[str, Any]], dict[str, Any]]


class ResendRefused(StkkrError):
    """The record's payload cannot be sent again; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class ResendOutcome:
    """What became of a resent payload.

    Attributes:
        record_id: The error record.
        written: AFAS accepted it (the record is closed).
        message: What happened, safe to show (no row values).
    """

    record_id: int
    written: bool
    message: str


async def aresend_error(record_id: int, *, edit: Edit | None = None) -> ResendOutcome:
    """Send the stored payload of an error record to AFAS again; close the record when AFAS accepts it.

    Args:
        record_id: The error record's id.
        edit: Called with the request body (decrypted) before it is sent; what it returns is sent instead.

    Returns:
        Whether AFAS accepted it, with a message; a refusal by AFAS leaves the record open.

    Raises:
        ResendRefused: No such open record, no consent or no payload, not a write, an unknown outcome, no
            payload key, the run-once key is taken, or the connection block cannot be loaded.
    """
    async with ErrorStore() as store:
        record = await store.get_error(record_id)
        payload = await _payload(record_id, record)
        assert record is not None and record.connector is not None  # `_payload` refused otherwise
        body = payload["sent"]
        if edit is not None:
            body = edit(body)
        unique = payload.get("unique")
        keys = store.run_once(record.stkkr, record.environment or "")
        holder = f"errors-retry-{record_id}"
        if unique and not await keys.apply(flow_run_id=holder, reserve=[unique]):
            raise ResendRefused(
                f"error record {record_id}: a run has written (or is writing) this row's unique key since "
                "it failed, so nothing was sent; close the record with `stkkr errors resolve "
                f"{record_id} --written`"
            )
        try:
            outcome = await _send(record, body, payload.get("object"))
        except BaseException:
            if unique:
                await keys.apply(flow_run_id=holder, release=[unique])
            raise
        if unique:
            if outcome.written:
                await keys.apply(flow_run_id=holder, done=[unique])
            elif outcome.unknown:
                await keys.apply(flow_run_id=holder, unknown=[unique])
            else:
                await keys.apply(flow_run_id=holder, release=[unique])
        if outcome.written:
            await store.close_error(record_id, RESENT)
        return ResendOutcome(record_id, outcome.written, _text(record_id, outcome))


@dataclass(frozen=True, slots=True)
class _Sent:
    written: bool
    message: str
    unknown: bool = False


async def _payload(record_id: int, record: ErrorRecord | None) -> dict[str, Any]:
    """The decrypted payload of an open record of a failed write, or why there is none."""
    if record is None:
        raise ResendRefused(f"no error record with id {record_id} (it may have been pruned after 30 days)")
    retry = f"`stkkr retry {record.stkkr}` runs the row again from AFAS instead"
    if record.resolution is not None:
        raise ResendRefused(f"error record {record_id} is closed already ({record.resolution})")
    if record.unique_key is not None:
        raise ResendRefused(
            f"error record {record_id}: the outcome of its write is unknown (AFAS may have written it), "
            f"so it is not sent again; check AFAS, then `stkkr errors resolve {record_id} --written` or "
            "`--not-written`"
        )
    if record.connector is None or record.action is None or record.connection is None:
        raise ResendRefused(
            f"error record {record_id} is of stage {record.stage}, not of a write (or predates stored "
            f"targets): there is nothing to send; {retry}"
        )
    if not record.has_payload:
        why = (
            "the tenant had not consented to storing failed payloads when it was written"
            if not record.consent
            else "consent was on, but no payload key was configured when it was written"
        )
        raise ResendRefused(f"error record {record_id} has no stored payload: {why}; {retry}")
    assert record.payload_encrypted is not None
    try:
        payload = decrypt_payload(record.payload_encrypted, await aget_payload_key())
    except PayloadKeyError as exc:
        raise ResendRefused(f"error record {record_id}: {exc}") from None
    if not isinstance(payload.get("sent"), dict):
        raise ResendRefused(f"error record {record_id}: its stored payload holds no request body; {retry}")
    return payload


async def _send(record: ErrorRecord, body: dict[str, Any], object_name: str | None) -> _Sent:
    """Send the body with the record's action; AFAS's refusal is an outcome, other failures raise."""
    assert record.connector is not None and record.connection is not None
    try:
        connection = await aload_connection(record.connection)
    except ConnectionBlockError as exc:
        raise ResendRefused(str(exc)) from None
    try:
        async with connection.get_client() as client:
            if record.action == "delete":
                await client.delete(record.connector, body.get("keys", {}), object_name=object_name)
            else:
                await client.send_body("POST" if record.action == "insert" else "PUT", record.connector, body)
    except AfasValidationError as exc:
        return _Sent(False, f"AFAS refused it again: {exc}")
    except AfasError as exc:
        if outcome_unknown(exc):
            return _Sent(False, f"the outcome is unknown: {exc} AFAS may have written it", unknown=True)
        return _Sent(False, f"it could not be sent: {exc}")
    return _Sent(True, "AFAS accepted it")


def _text(record_id: int, sent: _Sent) -> str:
    if sent.written:
        return f"Error record {record_id}: {sent.message}; the record is closed."
    return f"Error record {record_id}: {sent.message}; the record stays open."
