"""`stkkr serve` stopped and started again: the stop pauses the deployments, the new serve resumes them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.objects import DeploymentStatus

from tests.deploy.deploy_helpers import eventually, start_serve, stop_serve

pytestmark = pytest.mark.usefixtures("prefect_server")


def _deployment(name: str) -> tuple[bool, bool] | None:
    """(paused, polled by a runner) of the deployment `name/name`; None while it does not exist."""
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(f"{name}/{name}")
        except ObjectNotFound:
            return None
    return deployment.paused, deployment.status == DeploymentStatus.READY


def test_serve_after_a_stop_resumes_the_schedules(
    deployments: Path, write_stkkr: Callable[..., Path], tmp_path: Path
) -> None:
    write_stkkr("restarted", schedule={"every": "1h"})

    first = start_serve(deployments, tmp_path / "first")
    try:  # a polled deployment means the runner is serving, so Ctrl-C goes through its shutdown
        eventually(lambda: _deployment("restarted") == (False, True), "the first serve to poll")
    finally:
        stop_serve(first)
    assert _deployment("restarted") == (True, True), "stopping serve pauses its deployments"

    second = start_serve(deployments, tmp_path / "second")
    try:
        eventually(lambda: _deployment("restarted") == (False, True), "the second serve to resume it")
    finally:
        stop_serve(second)
