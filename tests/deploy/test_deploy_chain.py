"""`then:` chains: `stkkr validate` refuses unknown names and cycles among the deployments directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from typer.testing import CliRunner

from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.deploy.chain import then_problems
from stkkr_tasks.spec import load_stkkr


def problems_of(path: Path) -> list[str]:
    return [problem.message for problem in then_problems(path, load_stkkr(path))]


def test_sound_chains_have_no_problems(write_stkkr: Callable[..., Path]) -> None:
    first = write_stkkr("first", then=["second", "third"])
    write_stkkr("second", then=["third"])
    write_stkkr("third")

    assert problems_of(first) == []


def test_unknown_names_are_reported_at_the_then_line(write_stkkr: Callable[..., Path]) -> None:
    path = write_stkkr("first", then=["nobody"])

    (problem,) = then_problems(path, load_stkkr(path))

    assert problem.file == str(path)
    assert problem.path == "then"
    assert problem.line is not None
    assert "unknown stkkr 'nobody'" in problem.message


def test_cycles_through_the_file_are_reported(write_stkkr: Callable[..., Path]) -> None:
    a = write_stkkr("a", then=["b"])
    write_stkkr("b", then=["c"])
    write_stkkr("c", then=["a"])
    ping = write_stkkr("ping", then=["pong"])
    write_stkkr("pong", then=["ping", "a"])

    assert problems_of(a) == ["cycle a -> b -> c -> a"]
    assert problems_of(ping) == ["cycle ping -> pong -> ping"]


def test_stkkr_validate_refuses_a_cycle(write_stkkr: Callable[..., Path]) -> None:
    a = write_stkkr("a", then=["b"])
    write_stkkr("b", then=["a"])
    app = typer.Typer()
    spec_cli.register(app)

    result = CliRunner().invoke(app, ["validate", str(a)])

    assert result.exit_code == 2
    assert "then: cycle a -> b -> a" in result.output
