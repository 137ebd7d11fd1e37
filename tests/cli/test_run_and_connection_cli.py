"""`stkkr connection set|test` and `stkkr run [--dry-run] [--json]`: exit codes and output."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from stkkr_tasks.cli import connection, run, trigger
from stkkr_tasks.run import JSON_KEYS
from stkkr_tasks.simulator import Simulator

pytestmark = pytest.mark.usefixtures("prefect_server")

#: Runs the CLI with arguments (and `input` on stdin).
Invoke = Callable[..., Result]

STKKR = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  where: [{{field: ProjectId, op: "<=", value: "100020"}}]
  order_by: [ProjectId]
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{ViAg: "{appointment}"}}
update: {{connector: PtProject, action: update}}
"""


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    connection.register(app)
    run.register(app)
    return app


@pytest.fixture
def invoke(cli: typer.Typer) -> Invoke:
    runner = CliRunner()

    def call(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input)

    return call


@pytest.fixture
def sim_connection(simulator: Simulator, invoke: Invoke, tmp_path: Path) -> str:
    name = f"sim-{uuid.uuid4().hex[:8]}"
    token_file = tmp_path / "token.xml"
    token_file.write_text(simulator.token + "\n")
    result = invoke(
        "connection", "set", name, "--base-url", simulator.base_url, "--token-file", str(token_file)
    )
    assert result.exit_code == 0, result.output
    return name


def _stkkr_name(tmp_path: Path) -> str:
    return next(
        line for line in (tmp_path / "stkkr.yaml").read_text().splitlines() if line.startswith("stkkr:")
    )[7:]


def _stkkr(tmp_path: Path, connection_name: str, appointment: str = "AFK") -> Path:
    path = tmp_path / "stkkr.yaml"
    path.write_text(
        STKKR.format(name=f"cli-{uuid.uuid4().hex[:8]}", connection=connection_name, appointment=appointment)
    )
    return path


def test_connection_test_says_the_token_works(
    sim_connection: str, invoke: Invoke, simulator: Simulator
) -> None:
    result = invoke("connection", "test", sim_connection)

    assert result.exit_code == 0, result.output
    assert "The token works" in result.output
    assert simulator.token not in result.output


def test_connection_from_stdin_with_a_wrong_token_is_refused(simulator: Simulator, invoke: Invoke) -> None:
    name = f"sim-{uuid.uuid4().hex[:8]}"
    wrong = "ab" * 32
    assert invoke("connection", "set", name, "--base-url", simulator.base_url, input=wrong).exit_code == 0

    result = invoke("connection", "test", name)

    assert result.exit_code == 1
    assert "refused the token (HTTP 401)" in result.output
    assert wrong not in result.output


def test_connection_set_needs_environment_or_base_url(invoke: Invoke) -> None:
    result = invoke("connection", "set", "acme", "--token-file", "-", input="secret")

    assert result.exit_code == 2
    assert "--environment" in result.output


def test_connection_set_refuses_http_to_another_machine_unless_allowed(invoke: Invoke) -> None:
    name = f"proxy-{uuid.uuid4().hex[:8]}"
    url = "http://proxy.acme.internal/ProfitRestServices"
    result = invoke("connection", "set", name, "--base-url", url, "--token-file", "-", input="ab" * 32)

    assert result.exit_code == 2
    assert (
        "the AFAS token would travel unencrypted" in result.output
        and "--allow-insecure-http" in result.output
    )
    allowed = ("connection", "set", name, "--base-url", url, "--allow-insecure-http", "--token-file", "-")
    assert invoke(*allowed, input="ab" * 32).exit_code == 0


def test_connection_test_of_an_unknown_name(invoke: Invoke) -> None:
    result = invoke("connection", "test", "nobody-here")

    assert result.exit_code == 2
    assert "stkkr connection set nobody-here" in result.output


def test_run_json_all_written_exits_0(sim_connection: str, invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("run", str(_stkkr(tmp_path, sim_connection)), "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert tuple(summary) == JSON_KEYS
    assert (summary["state"], summary["read"], summary["written"]) == ("Completed", 20, 20)
    assert summary["failed"] == 0


def test_run_with_failed_rows_exits_1(sim_connection: str, invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("run", str(_stkkr(tmp_path, sim_connection, appointment="{{ 'X' * 3 }}")), "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"] == 20


def test_run_of_an_invalid_file_exits_2_and_sends_nothing(
    invoke: Invoke, tmp_path: Path, simulator: Simulator
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("stkkr: Bad Name\nget: {connector: Profit_Projects}\n")

    result = invoke("run", str(path), "--json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "not a valid stkkr" in result.output
    assert simulator.requests == []


def test_run_that_fails_exits_3(simulator: Simulator, invoke: Invoke, tmp_path: Path) -> None:
    name = f"sim-{uuid.uuid4().hex[:8]}"
    invoke("connection", "set", name, "--base-url", simulator.base_url, input="ab" * 32)

    result = invoke("run", str(_stkkr(tmp_path, name)), "--json")

    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert summary["state"] == "Failed"


def test_dry_run_prints_counts_and_elements_and_writes_nothing(
    sim_connection: str, invoke: Invoke, tmp_path: Path, simulator: Simulator
) -> None:
    result = invoke("run", str(_stkkr(tmp_path, sim_connection)), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Would send:" in result.output and '"@PrId": "100001"' in result.output
    assert "would write" in result.output and "nothing was written" in result.output
    assert simulator.writes == []
    name = _stkkr_name(tmp_path)
    history_app = typer.Typer()
    history_app.callback()(lambda: None)
    trigger.register(history_app)
    listed = CliRunner().invoke(history_app, ["history", name], env={"COLUMNS": "200"})
    assert "Completed (dry run)" in listed.output, "stkkr history marks dry runs"


def test_run_with_limit_writes_only_n_records(
    sim_connection: str, invoke: Invoke, tmp_path: Path, simulator: Simulator
) -> None:
    result = invoke("run", str(_stkkr(tmp_path, sim_connection)), "--json", "--limit", "2")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == 2
    assert len(simulator.writes) == 2


def test_connection_list_names_each_connection_and_where_it_points(
    sim_connection: str, invoke: Invoke, simulator: Simulator
) -> None:
    result = invoke("connection", "list", "--json")

    assert result.exit_code == 0, result.output
    listed = {row["name"]: row["where"] for row in json.loads(result.stdout)}
    assert listed[sim_connection] == simulator.base_url
    assert simulator.token not in result.output
    table = invoke("connection", "list")
    assert sim_connection in table.output and simulator.token not in table.output


def test_dry_run_preview_n_shows_that_many_elements(
    sim_connection: str, invoke: Invoke, tmp_path: Path
) -> None:
    result = invoke("run", str(_stkkr(tmp_path, sim_connection)), "--dry-run", "--preview", "2")

    assert result.exit_code == 0, result.output
    assert result.output.count("Would send:") == 2
    assert invoke("run", str(_stkkr(tmp_path, sim_connection)), "--preview", "2").exit_code == 2


def test_dry_run_preview_shows_the_rows_that_would_fail_first(
    sim_connection: str, invoke: Invoke, tmp_path: Path
) -> None:
    failing_late = "{{ 'AFK' if row.ProjectId < '100010' else decimal('no number') }}"
    path = _stkkr(tmp_path, sim_connection, appointment=failing_late)

    result = invoke("run", str(path), "--dry-run", "--preview", "2")

    assert result.exit_code != 0, result.output
    assert result.output.count("Would fail at transform") == 2
    assert result.output.count("Would send:") == 2
    assert result.output.index("Would fail at transform") < result.output.index("Would send:")


def test_connection_set_keeps_max_concurrency_until_given_again(
    simulator: Simulator, invoke: Invoke, tmp_path: Path
) -> None:
    from stkkr_tasks.connections import load_connection

    token_file = tmp_path / "token.txt"
    token_file.write_text(simulator.token, encoding="utf-8")
    name = f"sim-{uuid.uuid4().hex[:8]}"
    base = ("connection", "set", name, "--base-url", simulator.base_url, "--token-file", str(token_file))

    assert invoke(*base).exit_code == 0
    assert load_connection(name).max_concurrency == 8  # AFAS's documented limit
    assert invoke(*base, "--max-concurrency", "3").exit_code == 0
    assert invoke(*base).exit_code == 0  # updated without the option: the limit stays
    assert load_connection(name).max_concurrency == 3
    refused = invoke(*base, "--max-concurrency", "0")
    assert refused.exit_code == 2 and "max-concurrency" in refused.output
