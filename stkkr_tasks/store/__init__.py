"""The stkkr database: error records (meta-information only), run-once fingerprints, consent, retention.

Nothing read from AFAS is stored in clear here: rows are identified by keyed fingerprints, messages are
redacted by the caller with `redact`, and a failed payload is stored only under the tenant's consent,
encrypted with a key that lives outside the database.
"""

from __future__ import annotations

from stkkr_tasks.store.errors import (
    FingerprintKeyMismatch,
    PayloadKeyError,
    RetentionPeriodError,
    StoreConfigError,
    StoreError,
)
from stkkr_tasks.store.fingerprint import (
    is_empty_key,
    key_fingerprint,
    legacy_fingerprint,
    lookup_fingerprints,
)
from stkkr_tasks.store.keys import (
    acreate_payload_key,
    aget_fingerprint_key,
    aget_payload_key,
    get_fingerprint_key,
    get_payload_key,
)
from stkkr_tasks.store.payload import decrypt_payload, encrypt_payload
from stkkr_tasks.store.records import DEFAULT_TENANT, ConsentSetting, ErrorRecord, NewErrorRecord, Stage
from stkkr_tasks.store.redaction import redact
from stkkr_tasks.store.retention import MAX_RETENTION_DAYS, check_retention_days, retention_cutoff
from stkkr_tasks.store.retries import FILTERED_OUT, RESENT, RETRIED, ErrorRetries, OpenErrors
from stkkr_tasks.store.run_once import KeyState, RunOnceKeys
from stkkr_tasks.store.store import ErrorStore
from stkkr_tasks.store.template import PLACEHOLDER, message_template

__all__ = [
    "DEFAULT_TENANT",
    "FILTERED_OUT",
    "MAX_RETENTION_DAYS",
    "PLACEHOLDER",
    "RESENT",
    "RETRIED",
    "ConsentSetting",
    "ErrorRecord",
    "ErrorRetries",
    "ErrorStore",
    "FingerprintKeyMismatch",
    "KeyState",
    "NewErrorRecord",
    "OpenErrors",
    "PayloadKeyError",
    "RetentionPeriodError",
    "RunOnceKeys",
    "Stage",
    "StoreConfigError",
    "StoreError",
    "acreate_payload_key",
    "aget_fingerprint_key",
    "aget_payload_key",
    "check_retention_days",
    "decrypt_payload",
    "encrypt_payload",
    "get_fingerprint_key",
    "get_payload_key",
    "is_empty_key",
    "key_fingerprint",
    "legacy_fingerprint",
    "lookup_fingerprints",
    "message_template",
    "redact",
    "retention_cutoff",
]
