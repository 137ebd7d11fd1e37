"""ErrorStore basics on SQLite and PostgreSQL: error records, run-once fingerprints, consent, URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stkkr_tasks.store import ErrorStore, NewErrorRecord, StoreConfigError

pytestmark = pytest.mark.anyio


def record(stkkr: str = "close-projects", row_key: str = "a" * 64, **kw: object) -> NewErrorRecord:
    values: dict = {
        "tenant": None,
        "flow_run_id": "run-1",
        "stage": "update",
        "http_status": 500,
        "error_number": -2147024891,
        "profit_log_reference": "0" * 32,
        "message": "Record is locked",
    }
    values.update(kw)
    return NewErrorRecord(stkkr=stkkr, row_key=row_key, **values)


async def test_error_records_round_trip_with_meta_information(store: ErrorStore) -> None:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    await store.add_errors([record(), record(stkkr="other", row_key="b" * 64, tenant="acme")], now=at)
    newest, oldest = await store.list_errors(now=at)
    assert (newest.stkkr, newest.tenant, newest.row_key) == ("other", "acme", "b" * 64)
    assert oldest.meta() == {
        "id": oldest.id,
        "created_at": "2025-01-02T03:04:05+00:00",
        "stkkr": "close-projects",
        "tenant": "default",
        "flow_run_id": "run-1",
        "stage": "update",
        "row_key": "a" * 64,
        "http_status": 500,
        "error_number": -2147024891,
        "profit_log_reference": "0" * 32,
        "message": "Record is locked",
        "consent": False,
        "has_payload": False,
        "environment": None,
        "unique_key_reserved": False,
        "resolution": None,
        "resolved_at": None,
        "connector": None,
        "action": None,
        "connection": None,
        "retries": 0,
        "retried_at": None,
    }
    assert await store.get_error(oldest.id, now=at) == oldest
    assert await store.get_error(oldest.id + 1000, now=at) is None
    assert await store.get_error(oldest.id) is None, "past the retention period: never shown"


async def test_list_filters_on_stkkr_and_row_key_and_limits(store: ErrorStore) -> None:
    await store.add_errors([record(row_key=f"{i:064d}") for i in range(5)] + [record(stkkr="other")])
    assert len(await store.list_errors(stkkr="close-projects")) == 5
    assert len(await store.list_errors(limit=2)) == 2
    found = await store.list_errors(stkkr="close-projects", row_key=f"{3:064d}")
    assert [r.row_key for r in found] == [f"{3:064d}"]
    assert await store.count_errors() == 6


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown error stage 'write'"):
        record(stage="write")


async def test_consent_defaults_off_and_is_per_tenant(store: ErrorStore) -> None:
    assert await store.consent("acme") is False
    await store.set_consent("acme", True)
    await store.set_consent(None, False)
    assert await store.consent("acme") is True
    assert await store.consent("other") is False
    await store.set_consent("acme", False)
    settings = {s.tenant: s.store_failed_payloads for s in await store.consents()}
    assert settings == {"acme": False, "default": False}


def test_urls_are_normalised_and_passwords_never_shown(tmp_path: object) -> None:
    store = ErrorStore("postgresql://stkkr:s3cret-pw@db.example:5432/stkkr")
    assert store.url == "postgresql+asyncpg://stkkr:***@db.example:5432/stkkr"
    assert "s3cret-pw" not in repr(store)
    assert ErrorStore("sqlite:///x.db").url == "sqlite+aiosqlite:///x.db"


def test_default_url_is_a_file_in_stkkr_home(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("STKKR_DATABASE_URL", raising=False)
    monkeypatch.setenv("STKKR_HOME", str(tmp_path))
    assert ErrorStore().url == f"sqlite+aiosqlite:///{tmp_path}/stkkr.db"
    monkeypatch.setenv("STKKR_DATABASE_URL", "postgresql://u@h/d")
    assert ErrorStore().url == "postgresql+asyncpg://u@h/d"


def test_unsupported_driver_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(StoreConfigError, match="'mysql' is not supported") as caught:
        ErrorStore("mysql://u:topsecret@h/d")
    assert "topsecret" not in str(caught.value)


async def test_using_a_store_that_is_not_open_says_so() -> None:
    with pytest.raises(RuntimeError, match="not open"):
        await ErrorStore("sqlite:///never.db").list_errors()
