"""Every example stkkr in deployments/examples validates offline, and online against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from blocks import AfasConnection
from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.simulator import Simulator
from stkkr_tasks.spec import load_stkkr
from stkkr_tasks.spec.model import GetLookup

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "deployments" / "examples").glob("*.yaml"))


def _validate(*args: str) -> Result:
    """`stkkr validate ARGS` through typer's CliRunner."""
    app = typer.Typer()
    spec_cli.register(app)
    return CliRunner().invoke(app, ["validate", *args], env={"COLUMNS": "200"})


def test_the_examples_cover_update_insert_delete_a_filter_and_lookups() -> None:
    specs = [load_stkkr(path) for path in EXAMPLES]
    assert len(specs) >= 4

    assert {spec.update.action for spec in specs} == {"insert", "update", "delete"}
    assert any(spec.filter for spec in specs)
    assert any(spec.lookups for spec in specs)
    assert any(isinstance(table, GetLookup) for spec in specs for table in spec.lookups.values())
    assert any(spec.unique for spec in specs)
    assert any(spec.input for spec in specs)  # an upload, with its CSV beside it (the demo reads it)
    for spec, path in zip(specs, EXAMPLES, strict=True):
        assert spec.input is None or path.with_suffix(f".{spec.input.format}").is_file()
    assert len({spec.connection for spec in specs}) == 1  # `make demo` / `make up` create one block


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_validates_offline(path: Path) -> None:
    result = _validate(str(path))

    assert result.exit_code == 0, result.output
    assert f"{path}: valid" in result.output


@pytest.mark.usefixtures("prefect_server")
def test_every_example_validates_online_against_the_simulator(simulator: Simulator) -> None:
    connection = load_stkkr(EXAMPLES[0]).connection
    AfasConnection(base_url=simulator.base_url, token=simulator.token).save(connection, overwrite=True)

    result = _validate("--online", *map(str, EXAMPLES))

    assert result.exit_code == 0, result.output
    assert result.output.count(f"(checked against connection {connection!r})") == len(EXAMPLES)
    assert not simulator.writes, "online validation must not write"
