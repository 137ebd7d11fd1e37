"""The CLI of the stkkr database: `stkkr errors`, `stkkr consent`, `stkkr retention` (CliRunner)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import typer
from cryptography.fernet import Fernet
from prefect.blocks.system import Secret
from typer.testing import CliRunner, Result

from stkkr_tasks.cli import consent, errors, retention
from stkkr_tasks.store import ErrorStore, NewErrorRecord, key_fingerprint
from stkkr_tasks.store.keys import PAYLOAD_KEY_BLOCK

runner = CliRunner()
app = typer.Typer()
for module in (consent, errors, retention):
    module.register(app)


def stkkr(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def record(key: str, tenant: str = "acme") -> NewErrorRecord:
    fingerprint = key_fingerprint(b"test-fingerprint-key", "close-projects", (key,))
    payload = {"PtProject": {"Element": {"@PrId": key}}}
    return NewErrorRecord(
        "close-projects", tenant, "run-1", "update", fingerprint, 500, -1, "ref", "invalid", payload
    )


@pytest.fixture
def cli_db(migrated_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """STKKR_DATABASE_URL set to a database with records of P-1 (no consent), P-2 (acme consented, 20 days
    old) and P-3 (41 days old: past the retention period, not pruned yet)."""

    async def prepare() -> None:
        async with ErrorStore(migrated_db_url) as store:
            await store.add_errors([record("P-1")])
            await store.set_consent("acme", True)
            await store.add_errors([record("P-2")], now=datetime.now(UTC) - timedelta(days=20))
            await store.add_errors([record("P-3")], now=datetime.now(UTC) - timedelta(days=41))

    asyncio.run(prepare())
    monkeypatch.setenv("STKKR_DATABASE_URL", migrated_db_url)
    return migrated_db_url


def records_json(*args: str) -> list[dict]:
    result = stkkr("errors", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_errors_list_shows_meta_information_only(cli_db: str) -> None:
    listed = records_json()
    assert [r["row_key"] for r in listed] == [record("P-1").row_key, record("P-2").row_key]
    assert [r["has_payload"] for r in listed] == [False, True]
    assert all("payload" not in r and "payload_encrypted" not in r for r in listed)
    table = stkkr("errors", "list")
    assert table.exit_code == 0 and "close-projects" in table.stdout and "encrypted" in table.stdout
    assert "P-2" not in table.stdout


def test_errors_list_shows_how_often_a_retry_failed_again(cli_db: str) -> None:
    retried_at = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)

    async def retry_twice() -> None:
        async with ErrorStore(cli_db) as store:
            for _ in range(2):
                retries = await store.retries("close-projects", "afas:12345:test")
                await store.add_errors([record("P-1")], now=retried_at, retry=retries)

    asyncio.run(retry_twice())

    table = stkkr("errors", "list")
    assert table.exit_code == 0 and "retries" in table.stdout
    p1_line, p2_line = [line for line in table.stdout.splitlines() if "invalid" in line]
    assert "2 (last 03-04 05:06)" in p1_line and "last" not in p2_line
    assert [r["retries"] for r in records_json()] == [2, 0]


def test_errors_list_finds_a_row_by_its_key_values(cli_db: str) -> None:
    (found,) = records_json("--stkkr", "close-projects", "--key", "P-2")
    assert found["row_key"] == record("P-2").row_key
    assert records_json("--stkkr", "close-projects", "--key", "P-4") == []
    result = stkkr("errors", "list", "--key", "P-2")
    assert result.exit_code == 2 and "--key needs --stkkr" in result.output


def test_errors_list_reads_key_values_from_stdin_not_the_command_line(cli_db: str) -> None:
    for given in ("P-1\n", "P-1", "P-1\r\n\n"):
        result = runner.invoke(
            app, ["errors", "list", "--json", "--stkkr", "close-projects", "--key", "-"], input=given
        )
        assert result.exit_code == 0, result.output
        assert [r["row_key"] for r in json.loads(result.stdout)] == [record("P-1").row_key]

    empty = runner.invoke(app, ["errors", "list", "--stkkr", "close-projects", "--key", "-"], input="")
    assert empty.exit_code == 2 and "read no key values" in empty.output


def test_errors_list_asks_for_key_values_without_echo_on_a_terminal(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(errors, "_stdin_is_terminal", lambda: True)

    result = runner.invoke(
        app,
        ["errors", "list", "--stkkr", "close-projects", "--key", "-"],
        input="P-1\n\n",
        env={"COLUMNS": "200"},  # rich would fit the table to 80 columns and cut "invalid" short
    )

    assert result.exit_code == 0, result.output
    assert "Key value 1" in result.output and "Key value 2" in result.output
    assert "P-1" not in result.output  # not echoed
    assert "invalid" in result.output  # the record of P-1 was found


def test_records_past_the_retention_period_are_never_shown_even_before_the_prune(cli_db: str) -> None:
    assert [r["row_key"] for r in records_json()] == [record("P-1").row_key, record("P-2").row_key]
    assert records_json("--stkkr", "close-projects", "--key", "P-3") == []
    newest = records_json()[0]["id"]
    expired = stkkr("errors", "show", str(newest - 1))  # P-3 was stored after P-2
    assert expired.exit_code == 1 and "pruned after 30 days" in expired.output


def test_a_shorter_retention_period_hides_more(cli_db: str) -> None:
    asyncio.run(_set_retention_days(cli_db, 7))
    assert [r["row_key"] for r in records_json()] == [record("P-1").row_key]


async def _set_retention_days(url: str, days: int) -> None:
    async with ErrorStore(url) as store:
        await store.set_retention_days(days)


def test_errors_resolve_needs_a_verdict_and_an_existing_record(cli_db: str) -> None:
    newest = records_json()[0]["id"]
    assert stkkr("errors", "resolve", str(newest)).exit_code == 2
    missing = stkkr("errors", "resolve", "999999", "--written")
    assert missing.exit_code == 1 and "no error record with id 999999" in missing.output
    result = stkkr("errors", "resolve", str(newest), "--not-written")
    assert result.exit_code == 0 and "held no reserved run-once key" in result.stdout
    assert records_json()[0]["resolution"] == "not-written"


def test_errors_show_and_payload_with_and_without_the_right_key(cli_db: str, _keys: str) -> None:
    without, with_payload = (r["id"] for r in records_json())
    shown = stkkr("errors", "show", str(with_payload))
    assert shown.exit_code == 0 and "profit_log_reference" in shown.stdout and "P-2" not in shown.stdout
    decrypted = stkkr("errors", "show", str(with_payload), "--payload", "--json")
    assert decrypted.exit_code == 0, decrypted.output
    assert json.loads(decrypted.stdout)["payload"] == {"PtProject": {"Element": {"@PrId": "P-2"}}}
    refused = stkkr("errors", "show", str(without), "--payload")
    assert refused.exit_code == 1 and "consent was off" in refused.output
    missing = stkkr("errors", "show", "999999")
    assert missing.exit_code == 1 and "no error record with id 999999" in missing.output


def test_errors_show_payload_with_another_key_says_so(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_payload = records_json()[1]["id"]
    monkeypatch.setenv("STKKR_PAYLOAD_KEY", Fernet.generate_key().decode())
    result = stkkr("errors", "show", str(with_payload), "--payload")
    assert result.exit_code == 1 and "not the key this payload was encrypted with" in result.output
    assert "P-2" not in result.output


def test_consent_set_and_show(cli_db: str) -> None:
    assert stkkr("consent", "set", "beta", "--store-failed-payloads").exit_code == 0
    result = stkkr("consent", "set", "acme", "--no-store-failed-payloads")
    assert result.exit_code == 0 and "'acme' is off" in result.stdout
    shown = json.loads(stkkr("consent", "show", "--json").stdout)
    assert {s["tenant"]: s["store_failed_payloads"] for s in shown} == {"acme": False, "beta": True}
    assert "beta" in stkkr("consent", "show").stdout
    assert stkkr("consent", "set", "acme").exit_code == 2  # the flag is required


def test_retention_refuses_more_than_30_days(cli_db: str) -> None:
    result = stkkr("retention", "--days", "45")
    assert result.exit_code == 2 and "at most 30 days" in result.output


def test_retention_dry_run_counts_then_prunes(cli_db: str, prefect_server: None) -> None:
    dry = stkkr("retention", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["error_records"] == 1
    result = stkkr("retention")
    assert result.exit_code == 0 and "Deleted 1 error records older than 30 days" in result.stdout
    assert len(records_json()) == 2
    assert asyncio.run(_count(cli_db)) == 2


async def _count(url: str) -> int:
    async with ErrorStore(url) as store:
        return await store.count_errors()


@pytest.fixture
def no_payload_key(prefect_server: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No STKKR_PAYLOAD_KEY; the Secret block is removed afterwards if a test created it."""
    monkeypatch.delenv("STKKR_PAYLOAD_KEY")
    yield
    asyncio.run(_delete_payload_block())


async def _delete_payload_block() -> None:
    with contextlib.suppress(ValueError):
        await Secret.adelete(PAYLOAD_KEY_BLOCK)


def test_consent_without_a_key_warns_and_create_key_makes_one_once(cli_db: str, no_payload_key: None) -> None:
    warned = stkkr("consent", "set", "acme", "--store-failed-payloads")
    assert warned.exit_code == 0 and "no payload key is configured" in warned.output
    created = stkkr("consent", "create-key")
    assert created.exit_code == 0, created.output
    assert "no payload key" not in stkkr("consent", "set", "acme", "--store-failed-payloads").output
    again = stkkr("consent", "create-key")
    assert again.exit_code == 1 and "exists already" in again.output


def test_consent_export_key_prints_the_payload_key_for_a_backup(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("STKKR_PAYLOAD_KEY", key)

    result = stkkr("consent", "export-key")

    assert result.exit_code == 0 and result.stdout.strip() == key
