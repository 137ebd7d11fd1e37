"""End to end with two simulators: `update.connection` reads one AFAS environment and writes another."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Catalogue, Simulator
from stkkr_tasks.simulator.faults import Faults
from tests.fixture_types import Connect, MakeSimulator, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

COPY = """
stkkr: {name}
connection: {connection}
get: {{connector: Profit_OrgPer, where: [{{field: Type, op: "=", value: O}}], order_by: [BcCo], page_size: 9}}
{unique}
transform:
  keys: {{"@BcCo": "{{{{ row.BcCo }}}}"}}
  fields: {{Re: "copied {{{{ row.BcCo }}}}"}}
update: {{connection: {writes}, connector: KnOrganisation, action: update}}
"""


def _organisations(sim: Simulator) -> list[str]:
    return sorted(row["BcCo"] for row in sim.rows("Profit_OrgPer") if row["Type"] == "O")


def test_reads_one_environment_and_writes_the_other(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    source, target = make_simulator(rows=60, seed=3), make_simulator(rows=60, seed=3)
    organisations = _organisations(source)

    summary = run_stkkr(make_spec(COPY, connect(source), writes=connect(target), unique=""))

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(organisations), 0)
    assert source.writes == []  # the reading environment got no write
    assert not any(r.method == "GET" and "/connectors/" in r.path for r in target.requests)  # nor a read
    assert sorted(w.sent["KnOrganisation"]["Element"]["@BcCo"] for w in target.writes) == organisations
    notes = {row["BcCo"]: row["Note"] for row in target.rows("Profit_OrgPer")}
    assert all(notes[bcco] == f"copied {bcco}" for bcco in organisations)
    assert all(row["Note"] != f"copied {row['BcCo']}" for row in source.rows("Profit_OrgPer"))


def test_unique_keys_belong_to_the_environment_written_to(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    source, first, second = (make_simulator(rows=40, seed=4) for _ in range(3))
    count = len(_organisations(source))
    read = connect(source)
    to_first, to_second = connect(first), connect(second)

    once = run_stkkr(make_spec(COPY, read, writes=to_first, unique="unique: [BcCo]"))
    again = run_stkkr(make_spec(COPY, read, writes=to_first, unique="unique: [BcCo]"))
    elsewhere = run_stkkr(make_spec(COPY, read, writes=to_second, unique="unique: [BcCo]"))

    assert (once.written, once.skipped) == (count, 0)
    assert (again.written, again.skipped) == (0, count)  # done in that environment
    assert (elsewhere.written, elsewhere.skipped) == (count, 0)  # another environment: written there too
    assert len(first.writes) == len(second.writes) == count and source.writes == []


def test_a_refused_token_of_the_written_environment_fails_the_run(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    source, target = make_simulator(rows=20, seed=5), make_simulator(rows=20, seed=5)
    wrong = "<token><version>1</version><data>" + "0" * 64 + "</data></token>"

    summary = run_stkkr(make_spec(COPY, connect(source), writes=connect(target, token=wrong), unique=""))

    assert summary.state == "Failed" and "401" in summary.message
    assert target.writes == [] and source.writes == []


def test_validate_online_checks_the_update_connector_where_it_is_written(
    make_simulator: MakeSimulator, make_spec: MakeSpec, connect: Connect, tmp_path: Path
) -> None:
    source = make_simulator(rows=20, seed=6)
    catalogue = {
        "format": 1,
        "include_builtin": False,
        "get_connectors": {"Other_Rows": {"fields": [{"id": "Id", "type": "string", "length": 10}]}},
        "update_connectors": {"KnOrganisatie": {"fields": [{"field_id": "BcCo", "type": "string"}]}},
    }
    target = make_simulator(rows=5, seed=6, catalogue=Catalogue.from_dict(catalogue))
    reads, writes = connect(source), connect(target)
    path = tmp_path / "copy.yaml"
    path.write_text(COPY.format(name="copy-elsewhere", connection=reads, writes=writes, unique=""))
    app = typer.Typer()
    spec_cli.register(app)

    checked = CliRunner().invoke(app, ["validate", "--online", str(path)])

    assert checked.exit_code == 2, checked.output
    assert checked.stdout == (
        f"{path}:9: update.connector: UpdateConnector 'KnOrganisation' does not exist in connection "
        f"{writes!r} (did you mean 'KnOrganisatie'?)\n"
    )
    summary = run_stkkr(make_spec(COPY, reads, writes=writes, unique=""))  # a run checks the same first
    assert summary.state == "Failed" and "does not exist in connection" in summary.message
    assert target.writes == [] and source.writes == []


def test_validate_online_names_a_missing_write_connection(
    make_simulator: MakeSimulator, connect: Connect, tmp_path: Path
) -> None:
    reads = connect(make_simulator(rows=5, seed=7))
    path = tmp_path / "copy.yaml"
    path.write_text(COPY.format(name="copy-nowhere", connection=reads, writes="gone-elsewhere", unique=""))
    app = typer.Typer()
    spec_cli.register(app)

    checked = CliRunner().invoke(app, ["validate", "--online", str(path)])

    assert checked.exit_code == 2
    assert (
        f"{path}:9: update.connection: There is no AFAS connection named 'gone-elsewhere'" in checked.stdout
    )


def test_validate_online_reports_a_refused_write_token_at_update_connection(
    make_simulator: MakeSimulator, connect: Connect, tmp_path: Path
) -> None:
    wrong = "<token><version>1</version><data>" + "0" * 64 + "</data></token>"
    reads = connect(make_simulator(rows=5, seed=8))
    writes = connect(make_simulator(rows=5, seed=8), token=wrong)
    path = tmp_path / "copy.yaml"
    path.write_text(COPY.format(name="copy-refused", connection=reads, writes=writes, unique=""))
    app = typer.Typer()
    spec_cli.register(app)

    checked = CliRunner().invoke(app, ["validate", "--online", str(path)])

    assert checked.exit_code == 2
    refused = f"{path}:9: update.connection: cannot check against AFAS:"
    assert checked.stdout.startswith(refused), checked.stdout
    assert "401" in checked.stdout and "0" * 64 not in checked.output


def test_retries_go_to_the_environment_written_to(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    source, target = make_simulator(rows=30, seed=8), make_simulator(rows=30, seed=8)
    target.faults = Faults(unavailable_rate=0.2, retry_after_s=0, seed=2)

    summary = run_stkkr(make_spec(COPY, connect(source), writes=connect(target), unique=""))

    count = len(_organisations(source))
    assert (summary.state, summary.written, summary.failed) == ("Completed", count, 0)
    assert any(r.status == 503 for r in target.requests)  # refused for a moment, and sent again there
    assert len(target.writes) == count and not any(r.status == 503 for r in source.requests)
