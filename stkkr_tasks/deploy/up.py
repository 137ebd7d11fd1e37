"""`stkkr up` (``make up``): a local Prefect server, the AFAS simulator and ``stkkr serve`` for the examples.

Everything runs on 127.0.0.1: the Prefect server with its UI (state in ``$STKKR_HOME/prefect``, so runs
survive a restart), the simulator in this process with one connection block per connection the example
stkkrs name, and ``stkkr serve deployments/examples`` in a child process. The children get their own
process groups, so Ctrl-C reaches only this process, which then stops them in order: serve (its
schedules are paused), the simulator, the server.
"""

from __future__ import annotations

import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from stkkr_tasks.localstack import (
    Child,
    LocalStackError,
    prefect_env,
    prefect_home,
    run_child,
    start_prefect_server,
    start_simulator,
)
from stkkr_tasks.spec.files import DEPLOYMENTS_DIR_ENV, deployments_dir, load_stkkr_files

if TYPE_CHECKING:
    from rich.console import Console

UpError = LocalStackError
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
    examples = deployments_dir() / "examples"
    files = load_stkkr_files([examples]) if examples.is_dir() else []
    if not files:
        raise UpError(f"no example stkkrs in {examples}")
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**prefect_env(api_url), DEPLOYMENTS_DIR_ENV: str(deployments_dir())}
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with ExitStack() as stack:
            server = start_prefect_server(stack, port, env)
            simulator_url = start_simulator(
                stack, simulator_port, rows, api_url, sorted({f.spec.connection for f in files})
            )
            stkkr = Path(sys.executable).with_name("stkkr")
            serving = stack.enter_context(run_child("stkkr serve", [str(stkkr), "serve", str(examples)], env))
            _print_stack(console, api_url, prefect_home(), simulator_url, [f.name for f in files])
            _watch([server, serving])
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    console.print(f"Use it from another shell: export PREFECT_API_URL={api_url}; stkkr history")
    console.print("[bold]Tenant portal[/bold]   http://127.0.0.1:8780 once `stkkr portal` runs in that shell")
    console.print("Ctrl-C stops everything.")
