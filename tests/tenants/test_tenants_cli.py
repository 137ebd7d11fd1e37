"""`stkkr tenant|user|invoice|dsr` through the CLI (CliRunner), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from stkkr_tasks.cli import dsr, invoice, tenant, user
from tests.tenants.conftest import PASSWORD

runner = CliRunner()
app = typer.Typer()
for module in (dsr, invoice, tenant, user):
    module.register(app)


def stkkr(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})


def as_json(*args: str, stdin: str | None = None) -> Any:
    result = stkkr(*args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(autouse=True)
def cli_db(migrated_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STKKR_DATABASE_URL", migrated_db_url)


def test_tenants_users_and_invoices(tmp_path: Path) -> None:
    added = as_json("tenant", "add", "acme", "--name", "Acme BV", "--contact-email", "jan@acme.example")
    assert (added["name"], added["contact_email"]) == ("Acme BV", "jan@acme.example")
    assert as_json("tenant", "set", "acme", "--plan", "pro", "--licence-until", "2027-12-31")["plan"] == "pro"
    assert stkkr("tenant", "set", "acme", "--licence-until", "31-12-2027").exit_code == 2
    nothing = stkkr("tenant", "set", "acme")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    changed = stkkr("tenant", "set", "acme", "--contact-phone", "1")
    assert changed.output.strip() == "Changed tenant 'acme': contact_phone."
    jan = as_json(
        "user", "add", "jan", "--tenant", "acme", "--email", "jan@acme.example", stdin=PASSWORD + "\n"
    )
    assert jan["role"] == "customer" and PASSWORD not in json.dumps(jan)
    assert as_json("user", "add", "ops", "--operator", stdin=PASSWORD + "\n")["role"] == "operator"
    short = stkkr("user", "add", "piet", "--tenant", "acme", stdin="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    assert stkkr("user", "passwd", "jan", stdin="a new long password\n").exit_code == 0
    token = as_json("user", "token", "jan")["api_token"]
    assert as_json("user", "list", "--tenant", "acme")[0]["has_api_token"] is True
    assert token not in stkkr("user", "list").output
    invoice_ = as_json(
        "invoice", "add", "--tenant", "acme", "--number", "1", "--date", "2026-11-30", "--amount", "12.10"
    )
    assert invoice_["amount"] == "12.10"
    assert [i["number"] for i in as_json("invoice", "list", "--tenant", "acme")] == ["1"]
    shown = as_json("tenant", "show", "acme")
    assert (shown["users"], shown["invoices"]) == (["jan"], 1)
    refused = stkkr("tenant", "remove", "acme", "--yes")
    assert refused.exit_code == 2 and "must be kept 7 years" in refused.output
    assert stkkr("user", "remove", "ops").exit_code == 0
    assert [u["username"] for u in as_json("user", "list")] == ["jan"]
    missing = stkkr("user", "remove", "nobody")
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.output


def test_a_data_subject_request_from_open_to_close(tmp_path: Path) -> None:
    as_json("tenant", "add", "acme", "--contact-name", "Jan Jansen", "--contact-email", "jan@acme.example")
    as_json("user", "add", "jan", "--tenant", "acme", "--email", "jan@acme.example", stdin=PASSWORD + "\n")
    opened = as_json("dsr", "open", "--tenant", "acme", "--kind", "access", "--subject", "jan@acme.example")
    assert opened["due_on"] > opened["received_on"] and opened["status"] == "open"
    assert [r["id"] for r in as_json("dsr", "list", "--open")] == [opened["id"]]
    assert as_json("dsr", "list", "--overdue") == []
    out = tmp_path / "export.json"
    assert stkkr("dsr", "export", str(opened["id"]), "--out", str(out)).exit_code == 0
    export = json.loads(out.read_text())
    assert export["contact_person"]["contact_name"] == "Jan Jansen" and export["request"]["answered_at"]
    assert out.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert as_json("dsr", "close", str(opened["id"]))["status"] == "closed"
    erase = as_json("dsr", "open", "--tenant", "acme", "--kind", "erase", "--subject", "jan@acme.example")[
        "id"
    ]
    rectify = stkkr("dsr", "rectify", str(erase), "--contact-phone", "06")
    assert rectify.exit_code == 0
    counts = as_json("dsr", "erase", str(erase))
    assert (counts["user_accounts"], counts["contact_person"]) == (1, 1)
    assert as_json("user", "list") == []
    wrong = stkkr("dsr", "open", "--tenant", "acme", "--kind", "forget", "--subject", "x@y.z")
    assert wrong.exit_code == 2 and "unknown request kind 'forget'" in wrong.output
