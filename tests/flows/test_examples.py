"""Every example stkkr in deployments/examples validates offline, and online against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from blocks import AfasConnection
from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.localstack import simulated_environments
from stkkr_tasks.simulator import Simulator
from stkkr_tasks.spec import load_stkkr
from stkkr_tasks.spec.model import GetLookup
from tests.fixture_types import MakeSimulator

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
    assert any(spec.respond for spec in specs)
    assert len({spec.connection for spec in specs}) == 1  # `make demo` / `make up` read with one block
    assert simulated_environments(specs) == [["demo-simulator"], ["demo-production"]]  # and write to two


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_validates_offline(path: Path) -> None:
    result = _validate(str(path))

    assert result.exit_code == 0, result.output
    assert f"{path}: valid" in result.output


@pytest.mark.usefixtures("prefect_server")
def test_every_example_validates_online_against_the_simulator(
    simulator: Simulator, make_simulator: MakeSimulator
) -> None:
    specs = [load_stkkr(path) for path in EXAMPLES]
    (reads,), (production,) = simulated_environments(specs)
    other = make_simulator(rows=20, seed=1)
    AfasConnection(base_url=simulator.base_url, token=simulator.token).save(reads, overwrite=True)
    AfasConnection(base_url=other.base_url, token=other.token).save(production, overwrite=True)

    result = _validate("--online", *map(str, EXAMPLES))

    assert result.exit_code == 0, result.output
    both = f"(checked against connection {reads!r} and {production!r})"
    assert result.output.count(both) == 1
    assert result.output.count(f"(checked against connection {reads!r})") == len(EXAMPLES) - 1
    assert any("/metainfo/update/KnOrganisation" in r.path for r in other.requests)  # checked where written
    assert not simulator.writes and not other.writes, "online validation must not write"
