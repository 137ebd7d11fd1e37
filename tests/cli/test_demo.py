"""`stkkr demo`: every example stkkr runs against the simulator and the summaries add up.

The end-to-end test drives the demo's run step (`run_examples`) against the session's Prefect test server
instead of starting a second server (that takes 10-15 s more); `run_demo` adds only the server around it.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

from stkkr_tasks.cli import demo as demo_cli
from stkkr_tasks.demo import DemoError, example_files, run_demo, run_examples
from stkkr_tasks.simulator import Simulator
from stkkr_tasks.store import ErrorRecord, ErrorStore

ROWS = 100
EXAMPLES = Path(__file__).resolve().parents[2] / "deployments" / "examples"


def _stkkr_demo(deployments: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """`stkkr demo` through typer's CliRunner, with `deployments` as the deployments directory."""
    app = typer.Typer()
    app.callback()(lambda: None)
    demo_cli.register(app)
    monkeypatch.setenv("STKKR_DEPLOYMENTS_DIR", str(deployments))
    return CliRunner().invoke(app, ["demo"], env={"COLUMNS": "200"})


def _expected_counts() -> dict[str, tuple[int, int, int]]:
    """(read, filtered out, failed) per example, computed from the same generated data (seed 1)."""
    sim = Simulator(rows=ROWS, seed=1)
    today = date.today().isoformat()
    running = [
        p
        for p in sim.rows("Profit_Projects")
        if not p["Blocked"] and p["Status"] == "Lopend" and p["EndDate"] and p["EndDate"][:10] < today
    ]
    used_up = [p for p in running if p["HoursBooked"] >= p["HoursBudget"] and p["Manager"]]
    organisations = [o for o in sim.rows("Profit_OrgPer") if o["Type"] == "O"]
    prospects = [o for o in organisations if o["Status"] == "Prospect"]
    inactive = [o for o in organisations if o["Status"] == "Inactief"]
    blocked = [c for c in sim.rows("Profit_Contacts") if c["Blocked"]]
    closed = {p["ProjectId"] for p in used_up}  # close-finished-projects runs first and closes these
    lopend = [
        p
        for p in sim.rows("Profit_Projects")
        if not p["Blocked"] and p["Status"] == "Lopend" and p["ProjectId"] not in closed
    ]
    mailable = {o["BcCo"] for o in sim.rows("Profit_OrgPer") if o["Status"] == "Actief" and o["MailWork"]}
    active_mail = [o for o in organisations if o["Status"] == "Actief" and o["MailWork"]]
    return {
        "copy-mail-to-production": (len(active_mail), 0, 0),
        "note-new-purchasing-contacts": (len(prospects), 0, 0),
        "set-project-customer-reference": (len(lopend), sum(p["BcCo"] not in mailable for p in lopend), 0),
        "close-finished-projects": (len(running), len(running) - len(used_up), 0),
        "set-preferred-medium": (len(organisations), 0, len(inactive)),
        "add-prospect-contacts": (len(prospects), 0, 0),
        "remove-blocked-contacts": (len(blocked), 0, 0),
        "project-end-dates": (5, 1, 1),  # its CSV: one row without a date, one with 30-02-2027
    }


async def _error_records(stkkr: str) -> list[ErrorRecord]:
    async with ErrorStore() as store:
        return await store.list_errors(stkkr, limit=10_000)


@pytest.mark.usefixtures("prefect_server")
def test_every_example_runs_and_the_summaries_add_up() -> None:
    files = example_files(EXAMPLES)
    out = io.StringIO()

    summaries = run_examples(files, console=Console(file=out, width=200), rows=ROWS)

    expected = _expected_counts()
    assert [s.stkkr for s in summaries] == [f.spec.stkkr for f in files]
    assert set(expected) <= {s.stkkr for s in summaries}
    for summary in summaries:
        assert summary.state == "Completed", summary.message
        assert summary.read == summary.filtered_out + summary.skipped + summary.written + summary.failed
        if summary.stkkr in expected:
            read, filtered_out, failed = expected[summary.stkkr]
            assert (summary.read, summary.filtered_out, summary.failed) == (read, filtered_out, failed)
            assert summary.written + summary.skipped == read - filtered_out - failed
            assert summary.written > 0 or summary.skipped > 0
    noted = next(s for s in summaries if s.stkkr == "note-new-purchasing-contacts")
    assert (noted.responded, noted.respond_failed) == (noted.written, 0)  # each insert's answer was written
    medium = next(s for s in summaries if s.stkkr == "set-preferred-medium")
    assert medium.written > 0 and medium.failed > 0
    records = asyncio.run(_error_records("set-preferred-medium"))
    assert len(records) >= medium.failed
    assert {r.stage for r in records} == {"update"} and {r.http_status for r in records} == {None}
    assert all("not one of the allowed values" in r.message for r in records)  # found before sending

    text = out.getvalue()
    for summary in summaries:
        assert f"{summary.stkkr}" in text and summary.counts_text() in text
    assert "stkkr demo" in text  # the final table
    assert "connection 'demo-simulator' saved" in text  # the environment read from
    assert "connection 'demo-production' saved" in text  # and a second simulator: written to only
    assert "stkkr errors list --stkkr set-preferred-medium" in text
    assert "ViMd" in text  # a redacted AFAS message of an error record is shown
    assert "Retrying the failed rows of set-preferred-medium" in text
    assert f"Retry of {medium.failed} open error record(s)" in text
    assert sum(1 for r in records if r.retries == 1) == medium.failed, "the retry updated their records"


def test_demo_without_examples_fails_clearly_before_starting_anything(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="no example stkkrs in"):
        run_demo(console=Console(file=io.StringIO()), examples=tmp_path)


def test_stkkr_demo_exits_non_zero_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _stkkr_demo(tmp_path, monkeypatch)

    assert result.exit_code == 1
    assert "The demo failed" in result.output and "no example stkkrs" in result.output


def test_stkkr_demo_refuses_an_invalid_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "broken.yaml").write_text("stkkr: Not A Name\nconnection: x\n", encoding="utf-8")
    result = _stkkr_demo(tmp_path, monkeypatch)

    assert result.exit_code == 2
    assert "does not validate" in result.output and "broken.yaml" in result.output
