"""The benchmark's processes: the simulator and stkkr's local Prefect server, each in its own process.

The simulator runs as a child in its own process group, with its output in a log file of the benchmark's
temporary folder; it is ready once it answers over HTTP (polled), and is stopped with its group. The Prefect
server is the one `stkkr server start` starts and `stkkr server stop` stops.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from bench.workload import GET_CONNECTOR, auth_header, page_params

SIMULATOR_START_S = 120.0  # generating 200,000 rows per connector takes a few seconds on a busy machine
PREFECT_START_S = 120.0
_POLL_S = 0.2


def stkkr_command(*args: str) -> list[str]:
    """`stkkr ARGS` with the console script of this environment."""
    return [str(Path(sys.executable).with_name("stkkr")), *args]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    """The machine the benchmark runs on: CPU model and number of cores."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def base_env(folder: Path) -> dict[str, str]:
    """The environment of every child: no telemetry, a private Prefect home and stkkr home."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_HOME=str(folder / "prefect"),
        STKKR_HOME=str(folder / "stkkr"),
        PYTHONUNBUFFERED="1",
    )
    return env


class _Child(ABC):
    """A child process in its own process group, logging to a file; stopped with its whole group.

    `with child:` starts it (unless `start` was called already, so several can start side by side), waits
    until it answers, and stops it at the end.
    """

    name = "child"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = folder / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pgid(self) -> int | None:
        """The child's process group (its pid), or None when it does not run."""
        return self.process.pid if self.process is not None else None

    def _spawn(self, args: list[str], env: dict[str, str]) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.folder, start_new_session=True
            )

    def _wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        """Poll `ready` until it holds; fail with the log's tail when the child died or took too long."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the {self.name} exited with {self.process.returncode}:\n{self._tail()}")
            try:
                if ready():
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} did not answer within {timeout:.0f} s:\n{self._tail()}")
            time.sleep(_POLL_S)

    def _tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace_s: float = 15.0) -> None:
        """Stop the child and everything it started (SIGTERM to its group, SIGKILL after `grace_s`)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    @abstractmethod
    def start(self) -> None:
        """Start the process without waiting for it."""

    @abstractmethod
    def wait(self) -> None:
        """Wait until the process answers."""

    def __enter__(self) -> Self:
        if self.process is None:
            self.start()
        try:
            self.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class SimulatorProcess(_Child):
    """`stkkr simulator` in its own process, so it never competes with a measured client for the GIL.

    Args:
        folder: Where its log goes.
        rows: Rows generated per GetConnector.
        latency_ms: Latency added to every request.
        seed: Seed of the generated data.
        element_ms: Time a write spends per element it carries (the batch scenario's cost per record).
    """

    name = "simulator"

    def __init__(
        self, folder: Path, *, rows: int, latency_ms: int, seed: int = 1, element_ms: int = 0
    ) -> None:
        super().__init__(folder)
        self.rows, self.latency_ms, self.seed, self.element_ms = rows, latency_ms, seed, element_ms
        self.token = f"<token><version>1</version><data>{secrets.token_hex(32).upper()}</data></token>"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/ProfitRestServices"

    def start(self) -> None:
        """Start the process; `wait` until it answers."""
        self._spawn(
            stkkr_command(
                "simulator",
                "--port",
                str(self.port),
                "--rows",
                str(self.rows),
                "--seed",
                str(self.seed),
                "--latency-ms",
                str(self.latency_ms),
                "--element-ms",
                str(self.element_ms),
                "--token",
                self.token,
            ),
            base_env(self.folder),
        )

    def wait(self) -> None:
        """Wait until the simulator has generated the workload's rows and answers."""
        self._wait_until(self._warm, SIMULATOR_START_S)

    def _warm(self) -> bool:
        """Read one row: proves the simulator answers, and makes it generate the connector's rows now."""
        response = httpx.get(
            f"{self.base_url}/connectors/{GET_CONNECTOR}",
            params=page_params(0, 1),
            headers=auth_header(self.token),
            timeout=SIMULATOR_START_S,
        )
        return response.status_code == 200


class PrefectServer:
    """The Prefect server the stkkr runs report to: stkkr's persistent local server, or a given one.

    By default it is the local server that every `stkkr` command without PREFECT_API_URL uses: started once
    with `stkkr server start` under the benchmark's STKKR_HOME and reused by every command, as on a user's
    machine, so a `stkkr run` pays what a user's does (finding the server, not starting one). With
    `api_url`, that running server is used instead, through PREFECT_API_URL.

    Args:
        folder: The benchmark's folder (STKKR_HOME and PREFECT_HOME live under it).
        api_url: A Prefect server that already runs (`http://…/api`): use it instead of the local server.
    """

    def __init__(self, folder: Path, api_url: str | None = None) -> None:
        self.folder = folder
        self.external = api_url is not None
        self.api_url = api_url or ""
        self.pid: int | None = None

    @property
    def pgid(self) -> int | None:
        """The local server's process group (its pid; it runs in a session of its own), or None."""
        return self.pid

    def where(self) -> str:
        """How the stkkr runs reached the server, for the report."""
        if self.external:
            return f"the running Prefect server at {self.api_url} (PREFECT_API_URL)"
        return "stkkr's local Prefect server, started once with `stkkr server start` and reused (as a user's)"

    def _stkkr(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**base_env(self.folder), "STKKR_SERVER_PORT": str(free_port())}
        return subprocess.run(
            stkkr_command(*args),
            env=env,
            capture_output=True,
            text=True,
            timeout=PREFECT_START_S,
            check=False,
        )

    def start(self) -> None:
        """Start the local server (unless a running one was given) and wait until it answers.

        Raises:
            RuntimeError: It did not start (its output is included).
        """
        if self.external:
            return
        done = self._stkkr("server", "start")
        if done.returncode != 0:
            raise RuntimeError(f"stkkr server start failed ({done.returncode}): {done.stdout}{done.stderr}")
        state = json.loads((self.folder / "stkkr" / "server.json").read_text(encoding="utf-8"))
        self.pid = int(state["pid"])
        self.api_url = f"http://127.0.0.1:{state['port']}/api"

    def stop(self) -> None:
        """Stop the local server (a given server keeps running)."""
        if self.pid is not None:
            self._stkkr("server", "stop")
            self.pid = None

    def client_env(self) -> dict[str, str]:
        """The environment of a `stkkr` command: the benchmark's homes; PREFECT_API_URL for a given server."""
        env = base_env(self.folder)
        if self.external:
            env["PREFECT_API_URL"] = self.api_url
        return env
