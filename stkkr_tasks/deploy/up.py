"""`stkkr up` (``make up``): the local Prefect server, the simulator and ``stkkr serve`` for the examples.

Everything runs on 127.0.0.1: the persistent local Prefect server with its UI (state in
``$STKKR_HOME/prefect``, started in the background when it does not run yet, and left running;
PREFECT_API_URL replaces it when set), the simulator in this process with one connection block per
connection the example stkkrs name, and ``stkkr serve deployments/examples`` in a child process in its own
process group, so Ctrl-C reaches only this process, which then stops serve (its schedules are paused) and
the simulator. One `stkkr up` or `stkkr demo` at a time per STKKR_HOME: both save their simulator's
connection blocks.
"""

from __future__ import annotations

import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from stkkr_tasks.localserver import stack_api_url, stack_lock
from stkkr_tasks.localstack import (
    Child,
    LocalStackError,
    prefect_env,
    prefect_home,
    run_child,
    simulated_environments,
    start_simulator,
)
from stkkr_tasks.spec.files import DEPLOYMENTS_DIR_ENV, StkkrFile, deployments_dir, load_stkkr_files

if TYPE_CHECKING:
    from rich.console import Console

UpError = LocalStackError
"""The local stack could not start or a part of it stopped (message says which)."""


def run_stack(*, port: int = 4200, simulator_port: int = 8700, rows: int = 1000, console: Console) -> None:
    """Run the local stack until Ctrl-C (or SIGTERM) or until `stkkr serve` stops.

    Args:
        port: Port of the Prefect server and UI, when the local server must be started.
        simulator_port: Port of the AFAS simulator.
        rows: Rows per connector in the simulator.
        console: Where to print what runs where.

    Raises:
        UpError: No example stkkrs, another `stkkr up`/`stkkr demo` runs, the server or the simulator did not
            start, or serve stopped by itself.
    """
    examples = deployments_dir() / "examples"
    files = load_stkkr_files([examples]) if examples.is_dir() else []
    if not files:
        raise UpError(f"no example stkkrs in {examples}")
    with stack_lock("up"):
        api_url = stack_api_url(port=port, on_start=lambda line: console.print(line, markup=False))
        env = {**prefect_env(api_url), DEPLOYMENTS_DIR_ENV: str(deployments_dir())}
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            with ExitStack() as stack:
                simulator_url = _start_simulator(stack, simulator_port, rows, api_url, files)
                stkkr = Path(sys.executable).with_name("stkkr")
                serving = stack.enter_context(
                    run_child("stkkr serve", [str(stkkr), "serve", str(examples)], env)
                )
                _print_stack(console, api_url, prefect_home(), simulator_url, [f.name for f in files])
                _watch([serving])
        except KeyboardInterrupt:
            console.print(f"Stopped. The Prefect server keeps running at {api_url.removesuffix('/api')}.")
        finally:
            signal.signal(signal.SIGTERM, previous)


def _start_simulator(stack: ExitStack, port: int, rows: int, api_url: str, files: list[StkkrFile]) -> str:
    """Start the simulator on `port` (and one on a free port per other environment the stkkrs write to)."""
    try:
        first, *others = simulated_environments(f.spec for f in files)
        for connections in others:
            start_simulator(stack, 0, rows, api_url, connections)
        return start_simulator(stack, port, rows, api_url, first)
    except OSError as exc:
        raise UpError(
            f"the simulator cannot listen on port {port}: {exc.strerror or exc}; choose another with "
            "--simulator-port"
        ) from None


def _watch(children: list[Child]) -> None:
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
    console.print("Every stkkr command in another shell uses this server too, e.g. `stkkr history`.")
    console.print("[bold]Tenant portal[/bold]   http://127.0.0.1:8780 once `stkkr portal` runs in that shell")
    console.print("Ctrl-C stops serve and the simulator; `stkkr server stop` stops the Prefect server.")
