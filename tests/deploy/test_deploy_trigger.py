"""`trigger` (wait for the summary) and `start_run` (return at once), on deployments no one serves.

A deployment without `stkkr serve` or a worker never runs: a started run stays Scheduled, which shows what
each function returns and how waiting ends. The full trigger-and-run path is in test_deploy_serve.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
import typer
from prefect import get_client
from typer.testing import CliRunner

from stkkr_tasks import start_run, trigger
from stkkr_tasks.cli import trigger as trigger_cli
from stkkr_tasks.deploy import TriggerError, deploy

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
def unserved(write_stkkr: Callable[..., Path]) -> str:
    write_stkkr("unserved")
    deploy(work_pool="stkkr-test")
    return "unserved"


def test_start_run_returns_the_new_runs_id_at_once(unserved: str) -> None:
    flow_run_id = start_run(unserved)

    assert isinstance(flow_run_id, UUID)
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        deployment = client.read_deployment_by_name(f"{unserved}/{unserved}")
    assert flow_run.deployment_id == deployment.id
    assert flow_run.parent_task_run_id is None


def test_trigger_gives_up_after_its_timeout_and_names_the_run(unserved: str) -> None:
    with pytest.raises(
        TriggerError, match=r"did not end within 0\.3 s \(state Scheduled\); it keeps running"
    ):
        trigger(unserved, timeout=0.3, poll_interval=0.1)


def test_a_stkkr_without_deployment_cannot_be_triggered_or_started() -> None:
    with pytest.raises(TriggerError, match="has no deployment"):
        trigger("never-deployed", timeout=1)
    with pytest.raises(TriggerError, match="has no deployment"):
        start_run("never-deployed")


def test_cli_no_wait_prints_the_flow_run_id(unserved: str) -> None:
    app = typer.Typer()
    trigger_cli.register(app)

    result = CliRunner().invoke(app, ["trigger", unserved, "--no-wait", "--json"])

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["stkkr"] == unserved and UUID(answer["flow_run_id"])
    assert "nothing will run stkkr 'unserved'" in result.stderr  # started, with a warning
    missing = CliRunner().invoke(app, ["trigger", "never-deployed"])
    assert missing.exit_code == 4


def test_cli_trigger_of_a_deployment_nobody_polls_says_so_at_once(unserved: str) -> None:
    app = typer.Typer()
    trigger_cli.register(app)

    result = CliRunner().invoke(app, ["trigger", unserved, "--timeout", "600"])

    assert result.exit_code == 4
    assert "nothing will run stkkr 'unserved'" in result.output and "stkkr-test" in result.output
    assert "nothing was started" in result.output
