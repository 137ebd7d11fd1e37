"""The records of the stkkr database as plain data: what a run hands in and what an operator reads back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Stage = Literal["get", "filter", "transform", "update", "respond"]
STAGES: tuple[Stage, ...] = ("get", "filter", "transform", "update", "respond")
DEFAULT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class NewErrorRecord:
    """A failed operation, as a run reports it.

    Attributes:
        stkkr: Name of the stkkr.
        tenant: The stkkr's tenant; None means `DEFAULT_TENANT`.
        flow_run_id: The Prefect flow run, when known.
        stage: Where it failed: get, filter, transform, update or respond (the response write).
        row_key: Keyed fingerprint of the row's key values (`key_fingerprint`), never the values.
        http_status: HTTP status of AFAS's answer, when there was one.
        error_number: AFAS `errorNumber`, when given.
        profit_log_reference: AFAS `profitLogReference`, when given.
        message: The error message with the row's values already replaced (`redact`).
        payload: The element AFAS refused; stored only under the tenant's consent, and then encrypted.
        environment: The AFAS environment written to (`environment_scope`), when known.
        unique_key: The fingerprint of the row's `unique` key when that key stays reserved (the write's
            outcome is unknown), so `stkkr errors resolve` can settle it.
        connector: The UpdateConnector of a failed write (None before the write stage).
        action: The write's action: insert, update or delete.
        connection: The AfasConnection block the write went through.
    """

    stkkr: str
    tenant: str | None
    flow_run_id: str | None
    stage: Stage
    row_key: str
    http_status: int | None = None
    error_number: int | None = None
    profit_log_reference: str | None = None
    message: str = ""
    payload: dict[str, Any] | None = field(default=None, repr=False)
    environment: str | None = None
    unique_key: str | None = None
    connector: str | None = None
    action: str | None = None
    connection: str | None = None

    def __post_init__(self) -> None:
        """Reject an unknown stage early, with the valid ones in the message."""
        if self.stage not in STAGES:
            raise ValueError(f"unknown error stage {self.stage!r}; expected one of {', '.join(STAGES)}")


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A stored error record: meta-information, the consent flag it was written under, and maybe a payload.

    `payload_encrypted` is a Fernet token (never shown in `repr` or `meta()`); decrypt it with
    `stkkr_tasks.store.decrypt_payload`. `retries` counts the retries that failed again (`stkkr retry`
    updates the record it retried), the last one at `retried_at`; `resolved_at` is set once it is settled.
    """

    id: int
    created_at: datetime
    stkkr: str
    tenant: str
    flow_run_id: str | None
    stage: str
    row_key: str
    http_status: int | None
    error_number: int | None
    profit_log_reference: str | None
    message: str
    consent: bool
    payload_encrypted: str | None = field(default=None, repr=False)
    environment: str | None = None
    unique_key: str | None = None
    resolution: str | None = None
    resolved_at: datetime | None = None
    connector: str | None = None
    action: str | None = None
    connection: str | None = None
    retries: int = 0
    retried_at: datetime | None = None

    @property
    def has_payload(self) -> bool:
        """Whether an encrypted payload is stored with this record."""
        return self.payload_encrypted is not None

    def meta(self) -> dict[str, Any]:
        """The record's meta-information as JSON-ready values (no payload)."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "stkkr": self.stkkr,
            "tenant": self.tenant,
            "flow_run_id": self.flow_run_id,
            "stage": self.stage,
            "row_key": self.row_key,
            "http_status": self.http_status,
            "error_number": self.error_number,
            "profit_log_reference": self.profit_log_reference,
            "message": self.message,
            "consent": self.consent,
            "has_payload": self.has_payload,
            "environment": self.environment,
            "unique_key_reserved": self.unique_key is not None,
            "resolution": self.resolution,
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
            "connector": self.connector,
            "action": self.action,
            "connection": self.connection,
            "retries": self.retries,
            "retried_at": None if self.retried_at is None else self.retried_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ConsentSetting:
    """A tenant's consent setting as stored."""

    tenant: str
    store_failed_payloads: bool
    updated_at: datetime

    def meta(self) -> dict[str, Any]:
        """The setting as JSON-ready values."""
        return {
            "tenant": self.tenant,
            "store_failed_payloads": self.store_failed_payloads,
            "updated_at": self.updated_at.isoformat(),
        }
