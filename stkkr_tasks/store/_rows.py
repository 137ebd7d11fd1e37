"""How a failure a run reports becomes a row of `error_records`: the payload only under consent, encrypted."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stkkr_tasks.store.keys import aget_payload_key
from stkkr_tasks.store.payload import encrypt_payload
from stkkr_tasks.store.records import DEFAULT_TENANT, NewErrorRecord

logger = logging.getLogger("stkkr.store")

NO_KEY_NOTE = (
    " [payload not stored: the tenant consented, but no payload key is configured "
    "(STKKR_PAYLOAD_KEY or the Prefect Secret block 'stkkr-payload-key')]"
)


async def error_rows(
    records: Sequence[NewErrorRecord], consents: Mapping[str, bool], created_at: datetime
) -> list[dict[str, Any]]:
    """The database rows of `records` under each tenant's consent; the payload key is read only if needed."""
    wants_payload = any(r.payload is not None and consents[r.tenant or DEFAULT_TENANT] for r in records)
    key = await aget_payload_key() if wants_payload else None
    if wants_payload and key is None:
        logger.warning("Failed payloads are not stored: consent is on, but no payload key is configured.")
    return [error_row(r, consents[r.tenant or DEFAULT_TENANT], key, created_at) for r in records]


def error_row(
    record: NewErrorRecord, consent: bool, key: bytes | None, created_at: datetime
) -> dict[str, Any]:
    """The database row of `record`: its payload encrypted under consent, never stored in clear.

    When the tenant consented but there is no payload `key`, the payload is left out and the message says so.
    """
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
        "environment": record.environment,
        "unique_key": record.unique_key,
        "connector": record.connector,
        "action": record.action,
        "connection": record.connection,
    }
