"""Helpers of the deployment tests: a small valid stkkr document, polling with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from prefect import get_client
from prefect.exceptions import ObjectNotFound

from stkkr_tasks.deploy.pollers import nobody_polls
from stkkr_tasks.simulator import Simulator

T = TypeVar("T")

CONNECTION = "sim-deploy"


def stkkr_document(name: str, **overrides: Any) -> dict[str, Any]:
    """A small valid stkkr: close the projects of the simulator (update PtProject), manual by default."""
    document: dict[str, Any] = {
        "stkkr": name,
        "description": f"Test stkkr {name}",
        "connection": CONNECTION,
        "get": {"connector": "Profit_Projects", "order_by": ["ProjectId"], "page_size": 50},
        "transform": {"keys": {"@PrId": "{{ row.ProjectId }}"}, "fields": {"Ds": "closed by stkkr"}},
        "update": {"connector": "PtProject", "action": "update"},
    }
    document.update(overrides)
    return {key: value for key, value in document.items() if value is not None}


def eventually(
    probe: Callable[[], T | None], what: str, timeout: float = 60.0, status: Callable[[], Any] | None = None
) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` and `status()` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}" + (f": {status()}" if status else ""))


def start_serve(root: Path, prefect_home: Path) -> subprocess.Popen[bytes]:
    """Start `stkkr serve ROOT --no-retention` in its own process group, on the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "STKKR_DEPLOYMENTS_DIR": str(root),
    }
    stkkr = Path(sys.executable).with_name("stkkr")
    command = [str(stkkr), "serve", str(root), "--no-retention"]
    return subprocess.Popen(command, env=env, start_new_session=True)


def stop_serve(process: subprocess.Popen[bytes]) -> None:
    """Stop a serve process as Ctrl-C does (it pauses its deployments); kill it if it hangs."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def serving_one(
    document: dict[str, Any], rows: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    """Serve one stkkr `document` with `stkkr serve` against a simulator of `rows` rows, until it polls."""
    from blocks import AfasConnection  # lazy: registers the block type only for the serve tests

    name = document["stkkr"]
    root = tmp_path_factory.mktemp(f"served-{name}") / "deployments"
    root.mkdir()
    (root / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    simulator = Simulator(rows=rows, seed=1)
    with simulator.serve() as base_url:
        AfasConnection(base_url=base_url, token=simulator.token).save(CONNECTION, overwrite=True)
        process = start_serve(root, tmp_path_factory.mktemp("prefect-home"))
        try:
            with get_client(sync_client=True) as client:
                eventually(lambda: _deployed(client, name), "stkkr serve to register", 60)
            eventually(lambda: nobody_polls(name) is None, "stkkr serve to poll", 60)
            yield simulator
        finally:
            stop_serve(process)


def _deployed(client: Any, name: str) -> bool:
    try:
        client.read_deployment_by_name(f"{name}/{name}")
    except ObjectNotFound:
        return False
    return True
