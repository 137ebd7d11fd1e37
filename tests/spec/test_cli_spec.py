"""`stkkr schema` and `stkkr validate [--online]` through typer's CliRunner."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.spec import json_schema

GOOD = """\
stkkr: close-projects
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId]}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{PrSt: Afgesloten}}
update: {{connector: PtProject, action: update}}
"""


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    spec_cli.register(app)
    return app


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_schema_prints_the_json_schema(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(json_schema()))
    target = tmp_path / "stkkr.schema.json"
    result = CliRunner().invoke(app, ["schema", "--output", str(target)])
    assert result.exit_code == 0 and json.loads(target.read_text())["title"] == "stkkr file"


def test_validate_reports_every_problem_and_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", GOOD.format(connection="acme"))
    bad = _write(
        tmp_path, "bad.yaml", GOOD.format(connection="acme").replace("get:", "gett:") + "fitler: x\n"
    )
    result = CliRunner().invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert f"{good}: valid" in lines
    assert f"{bad}:3: unknown key 'gett' (did you mean 'get'?)" in lines
    assert f"{bad}:8: unknown key 'fitler' (did you mean 'filter'?)" in lines
    assert "Traceback" not in result.output


def test_validate_exits_0_when_all_are_valid(app: typer.Typer, tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", GOOD.format(connection="acme"))
    result = CliRunner().invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and result.stdout == f"{good}: valid\n"


def test_validate_a_missing_file(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "cannot read the file" in result.stdout


def test_validate_online(app: typer.Typer, tmp_path: Path, prefect_server: None, simulator: Any) -> None:
    from blocks import AfasConnection

    name = f"sim-{uuid.uuid4().hex[:8]}"
    AfasConnection(base_url=simulator.base_url, token=simulator.token).save(name)
    good = _write(tmp_path, "good.yaml", GOOD.format(connection=name))
    result = CliRunner().invoke(app, ["validate", "--online", str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{good}: valid (checked against connection {name!r})\n"

    typo = _write(tmp_path, "typo.yaml", GOOD.format(connection=name).replace("PtProject,", "PtProjekt,"))
    result = CliRunner().invoke(app, ["validate", "--online", str(typo)])
    assert result.exit_code == 2
    assert result.stdout == (
        f"{typo}:7: update.connector: UpdateConnector 'PtProjekt' does not exist"
        " (did you mean 'PtProject'?)\n"
    )
    assert simulator.token not in result.output


def test_validate_online_without_the_connection(
    app: typer.Typer, tmp_path: Path, prefect_server: None
) -> None:
    missing = _write(tmp_path, "missing.yaml", GOOD.format(connection=f"gone-{uuid.uuid4().hex[:8]}"))
    result = CliRunner().invoke(app, ["validate", "--online", str(missing)])
    assert result.exit_code == 2
    assert f"{missing}:2: connection: There is no AFAS connection named" in result.stdout


def test_validate_online_with_a_wrong_token(
    app: typer.Typer, tmp_path: Path, prefect_server: None, simulator: Any
) -> None:
    from blocks import AfasConnection

    name = f"bad-{uuid.uuid4().hex[:8]}"
    wrong = "<token><version>1</version><data>" + "0" * 64 + "</data></token>"
    AfasConnection(base_url=simulator.base_url, token=wrong).save(name)
    path = _write(tmp_path, "s.yaml", GOOD.format(connection=name))
    result = CliRunner().invoke(app, ["validate", "--online", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: connection: cannot check against AFAS:" in result.stdout
    assert "0" * 64 not in result.output


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("stkkr: " + "[" * 1000 + "]" * 1000 + "\n", 1, "the file is nested too deeply (over 50 levels"),
        (
            "stkkr: x\nget:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 1000)),
            52,
            "the file is nested too deeply",
        ),
        (
            GOOD.format(connection="acme") + 'filter: "' + "(" * 400 + "row.A" + ")" * 400 + '"\n',
            8,
            "filter: invalid expression: the expression is nested more than 20 levels deep",
        ),
        (
            GOOD.format(connection="acme") + 'filter: "row.A' + " + 1" * 900 + '"\n',
            8,
            "filter: invalid expression: the expression is nested more than 20 levels deep",
        ),
    ],
)
def test_deep_nesting_is_a_problem_of_the_file(
    app: typer.Typer, tmp_path: Path, text: str, line: int, message: str
) -> None:
    deep = _write(tmp_path, "deep.yaml", text)
    result = CliRunner().invoke(app, ["validate", str(deep)])
    assert result.exit_code == 2, result.output
    assert f"{deep}:{line}: {message}" in result.stdout
    assert "Traceback" not in result.output and "RecursionError" not in result.output


def test_validate_takes_directories(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    good = _write(tmp_path / "sub", "good.yaml", GOOD.format(connection="acme"))
    bad = _write(tmp_path, "bad.yml", "stkkr: x\n")
    (tmp_path / "empty").mkdir()

    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{good}: valid" in result.stdout and f"{bad}:1:" in result.stdout

    result = CliRunner().invoke(app, ["validate", str(tmp_path / "sub")])
    assert result.exit_code == 0 and f"{good}: valid" in result.stdout

    result = CliRunner().invoke(app, ["validate", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no stkkr files" in result.stdout
