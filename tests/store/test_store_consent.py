"""Payload consent on SQLite and PostgreSQL: stored only when on, encrypted at rest, needs the key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from prefect.blocks.system import Secret
from sqlalchemy import text

from stkkr_tasks.store import ErrorStore, NewErrorRecord, PayloadKeyError, decrypt_payload
from stkkr_tasks.store._rows import NO_KEY_NOTE
from stkkr_tasks.store.keys import PAYLOAD_KEY_BLOCK

pytestmark = pytest.mark.anyio

MARKERS = ("Zwaluwstaart-7Q4", "marker.person@example.test", "98765.43")
FIELDS = {"EmAd": MARKERS[1], "Amount": Decimal(MARKERS[2])}
PAYLOAD = {"PtProject": {"Element": {"@PrId": MARKERS[0], "Fields": FIELDS}}}


def failed(tenant: str | None = "acme") -> NewErrorRecord:
    return NewErrorRecord(
        stkkr="close-projects",
        tenant=tenant,
        flow_run_id="run-1",
        stage="update",
        row_key="c" * 64,
        http_status=500,
        error_number=-1,
        profit_log_reference="ref",
        message="Field *** is invalid",
        payload=PAYLOAD,
    )


async def stored_text(store: ErrorStore, db_url: str) -> bytes:
    """Everything the database holds: the SQLite file bytes, or PostgreSQL's table text."""
    if store.backend == "sqlite":
        await store.aclose()  # checkpoint the WAL into the file
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    async with store.engine.connect() as connection:
        rows = await connection.execute(text("SELECT e::text FROM error_records e"))
        return "\n".join(row[0] for row in rows).encode()


async def test_consent_off_stores_no_payload(store: ErrorStore, db_url: str) -> None:
    await store.add_errors([failed()])
    (record,) = await store.list_errors()
    assert record.consent is False and not record.has_payload
    assert record.message == "Field *** is invalid"
    content = await stored_text(store, db_url)
    assert not any(marker.encode() in content for marker in MARKERS)


async def test_consent_on_stores_the_payload_encrypted_at_rest(
    store: ErrorStore, db_url: str, _keys: str
) -> None:
    await store.set_consent("acme", True)
    await store.add_errors([failed(), failed(tenant="other")])
    other, acme = await store.list_errors()
    assert acme.consent is True and acme.has_payload
    assert other.consent is False and not other.has_payload
    assert acme.payload_encrypted is not None and acme.payload_encrypted.startswith("gAAAAA")  # Fernet
    fields = decrypt_payload(acme.payload_encrypted, _keys.encode())["PtProject"]["Element"]["Fields"]
    assert fields == FIELDS and isinstance(fields["Amount"], Decimal)  # a number as sent, not its text
    content = await stored_text(store, db_url)
    assert acme.payload_encrypted.encode() in content
    assert not any(marker.encode() in content for marker in MARKERS)


async def test_records_keep_the_consent_they_were_written_under(store: ErrorStore) -> None:
    await store.set_consent("acme", True)
    await store.add_errors([failed()])
    await store.set_consent("acme", False)
    await store.add_errors([failed()])
    newer, older = await store.list_errors()
    assert (older.consent, older.has_payload) == (True, True)
    assert (newer.consent, newer.has_payload) == (False, False)


async def test_decryption_needs_the_right_key(store: ErrorStore) -> None:
    await store.set_consent("acme", True)
    await store.add_errors([failed()])
    (record,) = await store.list_errors()
    assert record.payload_encrypted is not None
    with pytest.raises(PayloadKeyError, match="no payload key is configured"):
        decrypt_payload(record.payload_encrypted, None)
    with pytest.raises(PayloadKeyError, match="not the key this payload was encrypted with") as caught:
        decrypt_payload(record.payload_encrypted, Fernet.generate_key())
    assert MARKERS[0] not in str(caught.value)


@pytest.fixture
async def no_payload_key(prefect_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither STKKR_PAYLOAD_KEY nor the Secret block is there."""
    monkeypatch.delenv("STKKR_PAYLOAD_KEY")


async def test_consent_without_a_key_refuses_the_payload_and_notes_why(
    no_payload_key: None, store: ErrorStore, db_url: str
) -> None:
    await store.set_consent("acme", True)
    await store.add_errors([failed()])
    (record,) = await store.list_errors()
    assert record.consent is True and not record.has_payload
    assert record.message == "Field *** is invalid" + NO_KEY_NOTE
    content = await stored_text(store, db_url)
    assert not any(marker.encode() in content for marker in MARKERS)


@pytest.fixture
async def payload_key_block(no_payload_key: None) -> AsyncIterator[bytes]:
    """The payload key as the Prefect Secret block `stkkr-payload-key` (deleted afterwards)."""
    key = Fernet.generate_key()
    await Secret(value=key.decode()).asave(PAYLOAD_KEY_BLOCK, overwrite=True)
    yield key
    await Secret.adelete(PAYLOAD_KEY_BLOCK)


async def test_payload_key_from_the_secret_block(payload_key_block: bytes, store: ErrorStore) -> None:
    await store.set_consent("acme", True)
    await store.add_errors([failed()])
    (record,) = await store.list_errors()
    assert record.payload_encrypted is not None
    payload = decrypt_payload(record.payload_encrypted, payload_key_block)
    assert payload["PtProject"]["Element"]["@PrId"] == MARKERS[0]
