"""`stkkr deploy` checks each file against its AFAS as `validate --online` does; a problem deploys nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from prefect import get_client
from prefect.exceptions import ObjectNotFound
from typer.testing import CliRunner

from blocks import AfasConnection
from stkkr_tasks.cli import deploy as deploy_cli
from stkkr_tasks.simulator import Simulator
from tests.deploy.deploy_helpers import CONNECTION

pytestmark = pytest.mark.usefixtures("prefect_server")


def _deploy(*args: str) -> Any:
    app = typer.Typer()
    app.callback()(lambda: None)
    deploy_cli.register(app)
    return CliRunner().invoke(app, ["deploy", "--no-retention", "--work-pool", "stkkr-test", *args])


def test_a_file_that_does_not_fit_its_afas_is_not_deployed(
    write_stkkr: Callable[..., Path], simulator: Simulator
) -> None:
    AfasConnection(base_url=simulator.base_url, token=simulator.token).save(CONNECTION, overwrite=True)
    path = write_stkkr(
        "online-misfit", transform={"keys": {"@PrId": "{{ row.ProjectId }}"}, "fields": {"PrStX": "x"}}
    )

    result = _deploy()

    assert result.exit_code == 2
    assert f"{path}:" in result.output and "has no field 'PrStX'" in result.output
    assert "Nothing was deployed" in result.output
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_deployment_by_name("online-misfit/online-misfit")

    offline = _deploy("--offline")
    assert offline.exit_code == 0, offline.output
    assert "no worker polls pool 'stkkr-test'" in offline.output
