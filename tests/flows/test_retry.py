"""End to end: retrying failed rows (`run_stkkr(..., retry=True)`, the `retry` flow parameter) and resending a
stored payload (`stkkr errors retry ID [--edit]`), against the simulator and the Prefect test server."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.fernet import Fernet
from prefect import get_client
from sqlalchemy import update
from typer.testing import CliRunner

import stkkr_tasks.afas.client as client_module
from stkkr_tasks.afas import RetryPolicy
from stkkr_tasks.cli import errors, retry
from stkkr_tasks.run import RunSummary, compile_stkkr, run_stkkr
from stkkr_tasks.simulator import Faults, Simulator
from stkkr_tasks.spec import StkkrSpec
from stkkr_tasks.store import ErrorRecord, ErrorStore
from stkkr_tasks.store._schema import error_records
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

# ViAg only allows AFK, ANS, EHP, REG: rows that are not chargeable are refused whatever happens.
PROJECTS = """
stkkr: {name}
connection: {connection}
tenant: {tenant}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 20}}
{filter}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    ViAg: "{{{{ 'AFK' if row.Chargeable else 'XXX' }}}}"
update: {{connector: PtProject, action: update}}
"""

cli = typer.Typer()
errors.register(cli)


Projects = Callable[..., StkkrSpec]


@pytest.fixture
def projects(make_spec: MakeSpec, connect: Connect, simulator: Simulator, stkkr_name: str) -> Projects:
    """The stkkr over the simulator (tenant = the stkkr's name, so consent is per test); `filter` optional."""
    connection = connect(simulator)

    def spec(filter: str = "") -> StkkrSpec:
        return make_spec(PROJECTS, connection, tenant=stkkr_name, filter=filter)

    return spec


@pytest.fixture
def locked_writes(simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """A fault: 30% of writes meet AFAS's lock error, and the client tries each write once."""
    monkeypatch.setattr(client_module, "RetryPolicy", lambda: RetryPolicy(attempts=1, base_delay=0.01))
    simulator.faults = Faults(lock_error_rate=0.3, seed=5)
    return simulator


def _put_ids(simulator: Simulator) -> list[str]:
    return [
        write.sent["PtProject"]["Element"]["@PrId"] for write in simulator.writes if write.method == "PUT"
    ]


def _by_id(records: list[ErrorRecord]) -> dict[int, ErrorRecord]:
    return {record.id: record for record in records}


def test_a_retry_processes_only_the_failed_rows_and_settles_their_records(
    locked_writes: Simulator, projects: Projects, error_records: ErrorRecords, stkkr_name: str
) -> None:
    simulator = locked_writes
    rows = simulator.rows("Profit_Projects")
    chargeable = {row["ProjectId"] for row in rows if row["Chargeable"]}
    first = run_stkkr(projects())
    written_first = set(_put_ids(simulator))
    before = _by_id(error_records(stkkr_name))
    locked = [r for r in before.values() if "locked" in r.message]
    assert locked and len(before) == first.failed == len(rows) - len(written_first), "the fault hit some rows"
    assert all((r.connector, r.action) == ("PtProject", "update") for r in before.values())

    simulator.faults = Faults()  # the fault is fixed
    simulator.clear_log()
    dry = run_stkkr(projects(), retry=True, dry_run=True)
    assert simulator.writes == [] and dry.dry_run and dry.retry
    refused = len(rows) - len(chargeable)  # found before sending (metainfo): they would fail again
    assert (dry.would_write, dry.failed, dry.not_retried) == (
        first.failed - refused,
        refused,
        len(rows) - first.failed,
    )
    assert _by_id(error_records(stkkr_name)) == before, "a dry run closes and updates nothing"

    retry = run_stkkr(projects(), retry=True)

    retried = set(_put_ids(simulator))
    assert retried and not retried & written_first, "only rows with an open record were written"
    assert retried == chargeable - written_first
    assert (retry.written, retry.failed, retry.not_retried) == (
        len(retried),
        refused,
        len(rows) - first.failed,
    )
    assert retry.records_closed == len(retried) and retry.records_unmatched == 0
    assert "Retry of" in retry.message and f"{len(retried)} closed as written" in retry.message
    after = _by_id(error_records(stkkr_name))
    assert after.keys() == before.keys(), "a row that fails again updates its record, it adds none"
    closed = [r for r in after.values() if r.resolution == "retried"]
    assert len(closed) == len(retried) and all(r.resolved_at is not None for r in closed)
    still = [r for r in after.values() if r.resolution is None]
    assert len(still) == refused and all(r.retries == 1 and r.retried_at is not None for r in still)
    assert all(r.flow_run_id == retry.flow_run_id and "ViAg" in r.message for r in still)
    assert all(r.created_at == before[r.id].created_at for r in after.values()), "the retention clock stays"

    again = run_stkkr(projects(), retry=True)
    assert (again.written, again.failed) == (0, refused)
    assert {r.retries for r in error_records(stkkr_name) if r.resolution is None} == {2}

    dropped = run_stkkr(projects('filter: "row.Chargeable"'), retry=True)
    assert (dropped.filtered_out, dropped.written, dropped.failed) == (refused, 0, 0), "the filter applies"
    assert {r.resolution for r in error_records(stkkr_name)} == {"retried", "filtered-out"}
    nothing_left = run_stkkr(projects(), retry=True)
    assert nothing_left.read == 0 and "Retry of 0 open error record(s)" in nothing_left.message


def test_the_retry_flow_parameter_names_the_run_and_looks_back_since(
    locked_writes: Simulator, projects: Projects, error_records: ErrorRecords, stkkr_name: str
) -> None:
    first = run_stkkr(projects())
    assert first.failed
    locked_writes.faults = Faults()
    flow = compile_stkkr(projects())

    recent = asyncio.run(flow(retry=True, retry_since="1h", return_state=True))
    summary = asyncio.run(recent.aresult(raise_on_failure=False))
    assert isinstance(summary, RunSummary)
    bad = asyncio.run(flow(retry=True, retry_since="a week", return_state=True))

    async def read(flow_run_id: Any) -> Any:
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    run = asyncio.run(read(recent.state_details.flow_run_id))
    assert run.name.endswith(" (retry)") and run.parameters["retry"] is True
    assert summary.retry and summary.written + summary.failed == first.failed
    assert bad.is_failed() and "'a week' is not a duration" in (bad.message or "")
    assert not any(r.retries > 1 for r in error_records(stkkr_name))


def test_a_retry_since_leaves_older_records_alone(
    projects: Projects, error_records: ErrorRecords, stkkr_name: str
) -> None:
    spec = projects()
    first = run_stkkr(spec)
    asyncio.run(_age_records(stkkr_name, days=3))

    summary = run_stkkr(spec, retry=True, retry_since="2d")

    assert first.failed and summary.not_retried == summary.read and summary.written == summary.failed == 0
    assert all(r.retries == 0 for r in error_records(stkkr_name))


async def _age_records(stkkr: str, *, days: int) -> None:
    async with ErrorStore() as store:
        records = await store.list_errors(stkkr, limit=10_000)
        async with store.engine.begin() as connection:
            for record in records:
                older = record.created_at - timedelta(days=days)
                statement = update(error_records).where(error_records.c.id == record.id)
                await connection.execute(statement.values(created_at=older))


# -- stkkr errors retry ID [--edit] --------------------------------------------------------------------

EDITOR = """
import json, os, stat, sys
path = sys.argv[1]
with open(sys.argv[0] + ".seen", "w") as seen:
    json.dump({"path": path, "mode": stat.S_IMODE(os.stat(path).st_mode)}, seen)
if os.environ.get("EDITOR_FAILS"):
    sys.exit(3)
with open(path) as file:
    text = file.read()
with open(path, "w") as file:
    file.write(text.replace('"XXX"', '"AFK"'))
"""


@pytest.fixture
def consented(stkkr_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tenant consented and a payload key is configured."""
    monkeypatch.setenv("STKKR_PAYLOAD_KEY", Fernet.generate_key().decode())

    async def consent() -> None:
        async with ErrorStore() as store:
            await store.set_consent(stkkr_name, True)

    asyncio.run(consent())


@pytest.fixture
def editor(tmp_path: Path) -> Path:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    return script


def _retry_error(record_id: int, *args: str, editor: Path | None = None, **env: str) -> Any:
    environment = {"EDITOR": f"{sys.executable} {editor}" if editor else "", "VISUAL": "", **env}
    return CliRunner().invoke(cli, ["errors", "retry", str(record_id), *args], env=environment)


def test_errors_retry_resends_an_edited_payload_and_closes_the_record(
    consented: None,
    projects: Projects,
    simulator: Simulator,
    error_records: ErrorRecords,
    stkkr_name: str,
    editor: Path,
) -> None:
    run_stkkr(projects())
    record = next(r for r in error_records(stkkr_name) if "ViAg" in r.message)
    assert record.has_payload
    simulator.clear_log()

    failed_edit = _retry_error(record.id, "--edit", editor=editor, EDITOR_FAILS="1")
    as_stored = _retry_error(record.id)
    assert failed_edit.exit_code == 1 and "status 3; nothing was sent" in failed_edit.output
    assert as_stored.exit_code == 1 and "AFAS refused it again" in as_stored.output
    assert "record stays open" in as_stored.output

    edited = _retry_error(record.id, "--edit", editor=editor)

    assert edited.exit_code == 0, edited.output
    assert "AFAS accepted it; the record is closed" in edited.output
    seen = json.loads(Path(f"{editor}.seen").read_text())
    assert seen["mode"] == stat.S_IRUSR | stat.S_IWUSR, "the decrypted copy is readable by its owner only"
    assert not os.path.exists(seen["path"]) and not os.path.exists(os.path.dirname(seen["path"]))
    (accepted,) = [w for w in simulator.writes if w.method == "PUT"]
    assert accepted.sent["PtProject"]["Element"]["Fields"]["ViAg"] == "AFK"
    closed = next(r for r in error_records(stkkr_name) if r.id == record.id)
    assert closed.resolution == "resent" and closed.resolved_at is not None
    assert "closed already (resent)" in _retry_error(record.id).output


# A project that does not exist: AFAS (the simulator) refuses the update after reading its body.
MISSING_PROJECT = """
stkkr: {name}
connection: {connection}
tenant: {tenant}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 20}}
filter: "row.ProjectId == '{project}'"
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}-gone"}}
  fields:
    HrWe: "{{{{ row.HoursBudget }}}}"
    SaPc: "{{{{ row.HoursBudget * 0 + 12 }}}}"
update: {{connector: PtProject, action: update}}
"""


def test_errors_retry_resends_the_body_as_it_was_first_sent_decimals_as_numbers(
    consented: None,
    make_spec: MakeSpec,
    connect: Connect,
    simulator: Simulator,
    error_records: ErrorRecords,
    stkkr_name: str,
    editor: Path,
) -> None:
    project = simulator.rows("Profit_Projects")[0]["ProjectId"]
    run_stkkr(make_spec(MISSING_PROJECT, connect(simulator), tenant=stkkr_name, project=project))
    (first,) = simulator.refused
    (record,) = error_records(stkkr_name)
    simulator.clear_log()

    as_stored = _retry_error(record.id)
    edited = _retry_error(record.id, "--edit", editor=editor)  # saved as opened: numbers stay numbers
    shown = CliRunner().invoke(cli, ["errors", "show", str(record.id), "--payload", "--json"])

    assert as_stored.exit_code == 1 and "AFAS refused it again" in as_stored.output  # still no such project
    assert edited.exit_code == 1 and "AFAS refused it again" in edited.output
    assert b'"SaPc":12.00}' in first.body  # the first attempt sent a JSON number, exact
    assert [again.body for again in simulator.refused] == [first.body, first.body]
    sent = json.loads(shown.stdout)["payload"]["sent"]["PtProject"]["Element"]["Fields"]
    assert isinstance(sent["HrWe"], float) and isinstance(sent["SaPc"], float)
    assert '"SaPc": 12.00' in shown.stdout


def test_errors_retry_without_consent_says_why_it_cannot(
    projects: Projects, error_records: ErrorRecords, stkkr_name: str
) -> None:
    run_stkkr(projects())
    record = error_records(stkkr_name)[0]

    result = _retry_error(record.id)

    assert result.exit_code == 1
    assert "no stored payload" in result.output and "had not consented" in result.output
    assert f"stkkr retry {stkkr_name}" in result.output
    assert _retry_error(10**9).exit_code == 1


# -- stkkr retry NAME ------------------------------------------------------------------------------------


def test_stkkr_retry_finds_the_stkkr_by_name_and_reports_the_retry(
    simulator: Simulator, connect: Connect, stkkr_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = PROJECTS.format(name=stkkr_name, connection=connect(simulator), tenant=stkkr_name, filter="")
    (tmp_path / f"{stkkr_name}.yaml").write_text(text)
    monkeypatch.setenv("STKKR_DEPLOYMENTS_DIR", str(tmp_path))
    app = typer.Typer()
    retry.register(app)
    app.command("unused")(lambda: None)  # two commands: `retry` is named on the command line
    first = run_stkkr(tmp_path / f"{stkkr_name}.yaml")

    result = CliRunner().invoke(app, ["retry", stkkr_name, "--since", "1d", "--json"])
    unknown = CliRunner().invoke(app, ["retry", "no-such-stkkr"])
    wrong = CliRunner().invoke(app, ["retry", stkkr_name, "--since", "soon"])

    assert result.exit_code == 1, result.output  # rows failed (again)
    summary = json.loads(result.stdout)
    assert (summary["retry"], summary["failed"], summary["written"]) == (True, first.failed, 0)
    assert summary["not_retried"] == summary["read"] - first.failed and summary["records_closed"] == 0
    assert unknown.exit_code == 2 and "no-such-stkkr" in unknown.output
    assert wrong.exit_code == 2 and "'soon' is not a duration" in wrong.output


def test_a_retry_closes_the_records_of_unique_keys_a_run_wrote_since(
    locked_writes: Simulator, projects: Projects, error_records: ErrorRecords, stkkr_name: str
) -> None:
    spec = projects("unique: [ProjectId]")
    first = run_stkkr(spec)
    locked = [r for r in error_records(stkkr_name) if "locked" in r.message]
    locked_writes.faults = Faults()
    normal = run_stkkr(spec)  # a normal run writes the rows the fault hit; their records stay open
    assert locked and normal.written > 0 and first.written + normal.written == first.read - normal.failed
    locked_writes.clear_log()

    retry = run_stkkr(spec, retry=True)

    assert retry.written == 0 and locked_writes.writes == [], "a unique key is written once"
    assert retry.skipped == retry.records_closed == normal.written
    after = error_records(stkkr_name)
    closed = [r for r in after if r.resolution == "retried"]
    assert len(closed) == normal.written and all("locked" in r.message for r in closed)
    refused = [r for r in after if "ViAg" in r.message]  # the normal run added a record per row too
    assert all(r.resolution is None for r in refused)
    assert sum(r.retries for r in refused) == retry.failed, "the newest record of each row is updated"


UPLOAD = """
stkkr: {name}
connection: {connection}
input: {{key: [ProjectId], page_size: 2}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{ViAg: "{{{{ row.ViAg }}}}"}}
update: {{connector: PtProject, action: update}}
"""


def test_a_retry_of_an_upload_reads_the_corrected_file_and_writes_only_the_failed_rows(
    simulator: Simulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
    tmp_path: Path,
) -> None:
    ids = [row["ProjectId"] for row in simulator.rows("Profit_Projects")[:5]]
    upload = tmp_path / "rows.csv"
    upload.write_text(
        "ProjectId;ViAg\n" + "".join(f"{p};{'XXX' if n % 2 else 'AFK'}\n" for n, p in enumerate(ids))
    )
    spec = make_spec(UPLOAD, connect(simulator))
    first = run_stkkr(spec, input=upload)
    upload.write_text(upload.read_text().replace("XXX", "AFK"))  # the customer corrects the file
    simulator.clear_log()

    retry = run_stkkr(spec, input=upload, retry=True)

    assert (first.written, first.failed) == (3, 2)
    assert (retry.read, retry.written, retry.not_retried, retry.records_closed) == (5, 2, 3, 2)
    assert set(_put_ids(simulator)) == {ids[1], ids[3]}
    assert {r.resolution for r in error_records(stkkr_name)} == {"retried"}
