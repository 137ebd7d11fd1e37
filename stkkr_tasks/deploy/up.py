"""`stkkr up` (``make up``): a local Prefect server, the AFAS simulator and ``stkkr serve`` for the examples.

Everything runs on 127.0.0.1: the Prefect server with its UI (state in ``$STKKR_HOME/prefect``, so runs
survive a restart), the simulator in this process with one connection block per connection the example
stkkrs name, and ``stkkr serve deployments/examples`` in a child process. The children get their own
process groups, so Ctrl-C reaches only this process, which then stops them in order: serve (its
schedules are paused), the simulator, the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from stkkr_tasks.deploy.files import DEPLOYMENTS_DIR_ENV, deployments_dir, load_stkkr_files

if TYPE_CHECKING:
    from rich.console import Console

_STOP_GRACE_S = 15.0
_SERVER_START_TIMEOUT_S = 90.0


class UpError(RuntimeError):
    """The local stack could not start or a part of it stopped (message says which)."""


def run_stack(*, port: int = 4200, simulator_port: int = 8700, rows: int = 1000, console: Console) -> None:
    """Run the local stack until Ctrl-C (or SIGTERM) or until one of its parts stops.

    Args:
        port: Port of the Prefect server and UI.
        simulator_port: Port of the AFAS simulator.
        rows: Rows per connector in the simulator.
        console: Where to print what runs where.

    Raises:
        UpError: No example stkkrs, the server did not start, or a part stopped by itself.
    """
    from stkkr_tasks.store._config import stkkr_home

    examples = deployments_dir() / "examples"
    files = load_stkkr_files([examples]) if examples.is_dir() else []
    if not files:
        raise UpError(f"no example stkkrs in {examples}")
    api_url = f"http://127.0.0.1:{port}/api"
    prefect_home = stkkr_home() / "prefect"
    env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": api_url,
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        DEPLOYMENTS_DIR_ENV: str(deployments_dir()),
    }
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with ExitStack() as stack:
            prefect = str(Path(sys.executable).with_name("prefect"))
            server_argv = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
            server = stack.enter_context(_child("Prefect server", server_argv, env))
            _wait_healthy(f"{api_url}/health", server.process)
            simulator_url = _start_simulator(stack, simulator_port, rows, api_url,
                                             sorted({f.spec.connection for f in files}))
            stkkr = Path(sys.executable).with_name("stkkr")
            serving = stack.enter_context(_child("stkkr serve", [str(stkkr), "serve", str(examples)], env))
            _print_stack(console, api_url, prefect_home, simulator_url, [f.name for f in files])
            _watch([server, serving])
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _start_simulator(stack: ExitStack, port: int, rows: int, api_url: str, connections: list[str]) -> str:
    """Serve the simulator here and save a connection block for it under every name the examples use."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from blocks import AfasConnection
    from stkkr_tasks.simulator import Simulator

    simulator = Simulator(rows=rows, seed=1)
    base_url = stack.enter_context(simulator.serve(port=port))
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        for name in connections:
            AfasConnection(base_url=base_url, token=simulator.token).save(name, overwrite=True)
    return base_url


@dataclass(frozen=True)
class _Child:
    name: str
    process: subprocess.Popen[bytes]


@contextmanager
def _child(name: str, argv: list[str], env: Mapping[str, str]) -> Iterator[_Child]:
    """A child process in its own process group, stopped with SIGINT (then SIGTERM, SIGKILL) on exit."""
    process = subprocess.Popen(argv, env=dict(env), start_new_session=True)
    try:
        yield _Child(name, process)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            continue


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise UpError(f"the Prefect server exited with status {process.returncode} (is the port in use?)")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise UpError(f"the Prefect server did not answer at {url} within {_SERVER_START_TIMEOUT_S:g} s")


def _watch(children: list[_Child]) -> None:
    """Block until Ctrl-C; a child that stops by itself stops the stack."""
    while True:
        for child in children:
            if child.process.poll() is not None:
                raise UpError(f"{child.name} stopped with status {child.process.returncode}")
        time.sleep(1.0)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_stack(console: Console, api_url: str, home: Path, simulator_url: str, stkkrs: list[str]) -> None:
    ui = api_url.removesuffix("/api")
    console.print(f"[bold]Prefect UI[/bold]      {ui}  (API {api_url}, PREFECT_HOME {home})")
    console.print(f"[bold]AFAS simulator[/bold]  {simulator_url}")
    console.print(f"[bold]stkkr serve[/bold]     {', '.join(stkkrs)} (+ nightly retention)")
    console.print(f"Use it from another shell: export PREFECT_API_URL={api_url}; stkkr history")
    console.print("Ctrl-C stops everything.")
