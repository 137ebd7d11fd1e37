"""Pieces of the local stack shared by `stkkr up`, `stkkr demo` and the local Prefect server: child processes
in their own process groups (so Ctrl-C reaches only the parent, which stops them in order), the Prefect
server's environment and health check, and the simulator with its connection blocks.

The Prefect server keeps its state in ``$STKKR_HOME/prefect`` (PREFECT_HOME); `localserver` runs it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from prefect.settings import PREFECT_API_URL, temporary_settings

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.home import stkkr_home
from stkkr_tasks.seam import connection_block

if TYPE_CHECKING:
    from stkkr_tasks.spec import StkkrSpec

STOP_GRACE_S = 15.0
"""Seconds a child gets to stop after each signal (SIGINT, SIGTERM) before the next one."""
SERVER_START_TIMEOUT_S = 90.0
"""Seconds the Prefect server gets to answer its health check."""


class LocalStackError(StkkrError, RuntimeError):
    """A part of the local stack could not start or stopped by itself (the message says which)."""


@dataclass(frozen=True)
class Child:
    """A running child process.

    Attributes:
        name: What it is, for messages ("Prefect server").
        process: The process.
    """

    name: str
    process: subprocess.Popen[bytes]


def prefect_home() -> Path:
    """The PREFECT_HOME of the local server: ``$STKKR_HOME/prefect`` (default ``~/.stkkr/prefect``)."""

    return stkkr_home() / "prefect"


def api_url(port: int) -> str:
    """The API URL of a local Prefect server on `port`."""
    return f"http://127.0.0.1:{port}/api"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(url: str) -> dict[str, str]:
    """The environment of processes that use the local Prefect server at API `url`.

    Args:
        url: The server's API URL.

    Returns:
        This process's environment plus PREFECT_HOME, PREFECT_API_URL, PREFECT_UI_API_URL and analytics off.
    """
    return {
        **os.environ,
        "PREFECT_HOME": str(prefect_home()),
        "PREFECT_API_URL": url,
        "PREFECT_UI_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


@contextmanager
def run_child(
    name: str, argv: list[str], env: Mapping[str, str], output: Path | None = None
) -> Iterator[Child]:
    """Run a child process in its own process group; stop it with SIGINT (then SIGTERM, SIGKILL) on exit.

    Args:
        name: What it is, for messages.
        argv: The command line.
        env: Its environment.
        output: A file for its stdout and stderr (appended to); None shares this process's terminal.

    Yields:
        The running child.
    """
    with ExitStack() as files:
        sink = None
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            sink = files.enter_context(output.open("ab"))
        process = subprocess.Popen(argv, env=dict(env), start_new_session=True, stdout=sink, stderr=sink)
        try:
            yield Child(name, process)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child's process group: SIGINT, then SIGTERM, then SIGKILL, each after a grace period."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            continue


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = SERVER_START_TIMEOUT_S) -> None:
    """Wait until the Prefect server answers its health check at `url`.

    Args:
        url: The health URL (``<api>/health``).
        process: The server process, to notice when it exits.
        timeout: Seconds to wait at most.

    Raises:
        LocalStackError: The server exited or did not answer in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalStackError(
                f"the Prefect server exited with status {process.returncode} (is the port in use?)"
            )
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise LocalStackError(f"the Prefect server did not answer at {url} within {timeout:g} s")


def simulated_environments(specs: Iterable[StkkrSpec]) -> list[list[str]]:
    """The simulators a set of stkkrs needs, as the connection names each one is saved under.

    The connections the stkkrs read with share the first simulator; a connection they only write with
    (`update.connection`, `respond.update.connection`) is another AFAS environment and gets its own.
    """
    specs = list(specs)
    read = sorted({spec.connection for spec in specs})
    written = sorted({name for spec in specs for name in spec.connections} - set(read))
    return [read, *([name] for name in written)]


def start_simulator(stack: ExitStack, port: int, rows: int, url: str, connections: list[str]) -> str:
    """Serve the simulator in this process and save a connection block for it under every name given.

    Args:
        stack: Stops the simulator when it closes.
        port: Its port (0 picks a free one).
        rows: Rows per connector.
        url: The API URL of the Prefect server that keeps the blocks.
        connections: The AfasConnection block names to save (overwritten when they exist).

    Returns:
        The simulator's base URL.
    """
    # Every command that finds the local server imports this module; only `stkkr up` and `demo` serve it.
    # lazy: the simulator (its FastAPI app and data generator) loads only for `stkkr up` and `stkkr demo`
    from stkkr_tasks.simulator import Simulator

    simulator = Simulator(rows=rows, seed=1)
    base_url = stack.enter_context(simulator.serve(port=port))
    with temporary_settings(updates={PREFECT_API_URL: url}):
        for name in connections:
            connection_block()(base_url=base_url, token=simulator.token).save(name, overwrite=True)
    return base_url
