"""The local stack shared by `stkkr up` and `stkkr demo`: a Prefect server child process and the simulator.

The Prefect server keeps its state in ``$STKKR_HOME/prefect`` (PREFECT_HOME), so runs made by `stkkr demo`
are still there when `stkkr up` starts the server again. Children run in their own process groups, so
Ctrl-C reaches only the parent, which stops them in order.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from prefect.settings import PREFECT_API_URL, temporary_settings

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.seam import connection_block
from stkkr_tasks.simulator import Simulator
from stkkr_tasks.store._config import stkkr_home

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


def start_prefect_server(
    stack: ExitStack, port: int, env: Mapping[str, str], output: Path | None = None
) -> Child:
    """Start ``prefect server start`` on 127.0.0.1:`port` and wait until it is healthy.

    Args:
        stack: Stops the server when it closes.
        port: The port of the API and UI.
        env: The server's environment (see `prefect_env`).
        output: A file for the server's output; None shares this process's terminal.

    Returns:
        The running server.

    Raises:
        LocalStackError: The server did not start.
    """
    prefect = str(Path(sys.executable).with_name("prefect"))
    argv = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    server = stack.enter_context(run_child("Prefect server", argv, env, output))
    try:
        wait_healthy(f"{api_url(port)}/health", server.process)
    except LocalStackError as exc:
        if output is None:
            raise
        raise LocalStackError(f"{exc}; its output is in {output}") from None
    return server


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

    simulator = Simulator(rows=rows, seed=1)
    base_url = stack.enter_context(simulator.serve(port=port))
    with temporary_settings(updates={PREFECT_API_URL: url}):
        for name in connections:
            connection_block()(base_url=base_url, token=simulator.token).save(name, overwrite=True)
    return base_url
