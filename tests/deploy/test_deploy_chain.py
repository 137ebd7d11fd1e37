"""`then:` chains: `stkkr validate`, `deploy` and `serve` refuse unknown names and cycles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
import typer
from prefect import get_client
from prefect.exceptions import ObjectNotFound
from typer.testing import CliRunner

from stkkr_tasks.cli import deploy as deploy_cli
from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.deploy import aserve, deploy
from stkkr_tasks.deploy.chain import then_problems
from stkkr_tasks.spec import SpecError, load_stkkr


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


@pytest.mark.usefixtures("prefect_server")
def test_stkkr_deploy_refuses_a_cycle_and_deploys_nothing(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("cyc-a", then=["cyc-b"])
    write_stkkr("cyc-b", then=["cyc-a"])
    write_stkkr("cyc-fine")

    with pytest.raises(SpecError, match=r"then: cycle cyc-a -> cyc-b -> cyc-a"):
        deploy(work_pool="stkkr-test")
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_deployment_by_name("cyc-fine/cyc-fine")

    app = typer.Typer()
    deploy_cli.register(app)
    # --offline: the refusal of deploy itself (validate's is tested above), without checking the files'
    # connection, which no simulator serves here (its connect retries cost 15 s)
    result = CliRunner().invoke(app, ["deploy", "--offline"])
    assert result.exit_code == 2
    assert "then: cycle cyc-a -> cyc-b -> cyc-a" in result.output


@pytest.mark.anyio
async def test_stkkr_serve_refuses_a_cycle_before_serving(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("ping", then=["pong"])
    write_stkkr("pong", then=["ping"])

    with pytest.raises(SpecError, match=r"then: cycle ping -> pong -> ping"), anyio.fail_after(60):
        await aserve()  # without the refusal it would serve until the deadline


def test_deploying_one_file_checks_its_chain_against_the_whole_directory(
    write_stkkr: Callable[..., Path],
) -> None:
    head = write_stkkr("head", then=["tail"])
    write_stkkr("tail", then=["head"])
    write_stkkr("lonely", then=["nobody"])

    with pytest.raises(SpecError) as caught:
        deploy([head], work_pool="stkkr-test")

    assert [p.message for p in caught.value.problems] == ["cycle head -> tail -> head"]
    with pytest.raises(SpecError, match="unknown stkkr 'nobody'"):
        deploy([write_stkkr("lonely", then=["nobody"])], work_pool="stkkr-test")
