"""`then:` in this process: `run_stkkr`, `stkkr run` and the demo run the next stkkrs after a Completed run.

The next stkkrs are found by name in the deployments directory and loaded before anything runs, so an
unknown name or a cycle refuses the run with nothing sent; a dry run starts none and says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from stkkr_tasks.cli.main import _register, app
from stkkr_tasks.demo import run_examples
from stkkr_tasks.run import ThenError, run_stkkr
from stkkr_tasks.seam import connection_block
from stkkr_tasks.spec.files import load_stkkr_files
from tests.deploy.deploy_helpers import CONNECTION

pytestmark = pytest.mark.usefixtures("prefect_server")

ROWS = 12


@pytest.fixture
def simulator(make_simulator: Callable[..., Any]) -> Iterator[Any]:
    """A small simulator behind the connection block the stkkr files of these tests name."""
    sim = make_simulator(rows=ROWS, seed=3)
    connection_block()(base_url=sim.base_url, token=sim.token).save(CONNECTION, overwrite=True)
    yield sim


def writes_by_description(simulator: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for write in simulator.writes:
        description = write.sent["PtProject"]["Element"]["Fields"]["Ds"]
        counts[description] = counts.get(description, 0) + 1
    return counts


def stkkr_writing(write_stkkr: Callable[..., Path], name: str, **overrides: Any) -> Path:
    """A stkkr that writes its own name into every project's description."""
    transform = {"keys": {"@PrId": "{{ row.ProjectId }}"}, "fields": {"Ds": name}}
    return write_stkkr(name, transform=transform, **overrides)


def test_run_stkkr_runs_the_then_chain_after_a_completed_run(
    write_stkkr: Callable[..., Path], simulator: Any
) -> None:
    first = stkkr_writing(write_stkkr, "first", then=["second", "third"])
    stkkr_writing(write_stkkr, "second", then=["third"])
    stkkr_writing(write_stkkr, "third")

    summary = run_stkkr(first)

    assert summary.state == "Completed" and summary.written == ROWS
    second, third = summary.then
    assert (second.stkkr, second.state, second.written) == ("second", "Completed", ROWS)
    assert [after.stkkr for after in second.then] == ["third"]
    assert (third.stkkr, third.state) == ("third", "Completed")
    assert writes_by_description(simulator) == {"first": ROWS, "second": ROWS, "third": 2 * ROWS}
    assert [entry["stkkr"] for entry in summary.to_json()["then"]] == ["second", "third"]


def test_a_failed_run_starts_nothing(write_stkkr: Callable[..., Path], simulator: Any) -> None:
    first = stkkr_writing(write_stkkr, "first", connection="no-such-connection", then=["second"])
    stkkr_writing(write_stkkr, "second")

    summary = run_stkkr(first)

    assert summary.state == "Failed" and summary.then == ()
    assert simulator.writes == []


def test_a_dry_run_starts_nothing_and_says_so(write_stkkr: Callable[..., Path], simulator: Any) -> None:
    first = stkkr_writing(write_stkkr, "first", then=["second"])
    stkkr_writing(write_stkkr, "second")

    summary = run_stkkr(first, dry_run=True)

    assert summary.state == "Completed" and summary.then == ()
    assert summary.message.endswith("A dry run starts no then: stkkrs (second).")
    assert simulator.writes == []


@pytest.mark.parametrize(
    ("chain", "refusal"),
    [
        ({"first": ["nobody"]}, "then: no valid stkkr file named 'nobody'"),
        ({"first": ["second"], "second": ["first"]}, "then: cycle first -> second -> first"),
    ],
    ids=["unknown", "cycle"],
)
def test_a_chain_that_cannot_be_followed_refuses_before_anything_is_sent(
    write_stkkr: Callable[..., Path], simulator: Any, chain: dict[str, list[str]], refusal: str
) -> None:
    for name, then in chain.items():
        stkkr_writing(write_stkkr, name, then=then)

    with pytest.raises(ThenError, match=refusal):
        run_stkkr(write_stkkr("first", then=chain["first"]))

    assert simulator.requests == []
    assert run_stkkr(write_stkkr("first", then=chain["first"]), follow_then=False).state == "Completed"


def test_stkkr_run_prints_the_chain_and_refuses_a_broken_one(
    write_stkkr: Callable[..., Path], simulator: Any
) -> None:
    first = stkkr_writing(write_stkkr, "first", then=["second"])
    stkkr_writing(write_stkkr, "second")
    lonely = stkkr_writing(write_stkkr, "lonely", then=["nobody"])
    _register()

    chained = CliRunner().invoke(app, ["run", str(first), "--json"])
    refused = CliRunner().invoke(app, ["run", str(lonely)])

    assert chained.exit_code == 0, chained.output
    document = json.loads(chained.stdout)
    assert document["stkkr"] == "first" and [then["stkkr"] for then in document["then"]] == ["second"]
    assert refused.exit_code == 2
    assert "then: no valid stkkr file named 'nobody'" in refused.output
    assert "Traceback" not in refused.output


def test_the_demo_runs_the_then_chain_of_an_example(
    write_stkkr: Callable[..., Path], deployments: Path
) -> None:
    stkkr_writing(write_stkkr, "first", then=["second"])
    stkkr_writing(write_stkkr, "second")
    output = StringIO()

    first, _ = run_examples(
        load_stkkr_files([deployments]), console=Console(file=output, width=200), rows=ROWS
    )

    assert first.stkkr == "first" and [after.stkkr for after in first.then] == ["second"]
    assert "then second: Completed" in output.getvalue()
