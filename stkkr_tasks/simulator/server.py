"""`Simulator`: a local AFAS Profit REST server on loopback, started in-process (demos, tests, benchmarks)."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from stkkr_tasks.afas.auth import normalise_token, token_header
from stkkr_tasks.simulator.app import build_app
from stkkr_tasks.simulator.catalogue import Catalogue
from stkkr_tasks.simulator.faults import Faults
from stkkr_tasks.simulator.gate import ReadGate
from stkkr_tasks.simulator.refusals import Refusals
from stkkr_tasks.simulator.state import RefusedWrite, RequestRecord, SimState, WriteRecord

_STARTUP_TIMEOUT_S = 30.0


def make_token(seed: int) -> str:
    """The simulator's token for a seed: AFAS's XML form with 64 hex characters of data."""
    data = hashlib.sha256(f"stkkr-simulator-token:{seed}".encode()).hexdigest().upper()
    return normalise_token(data)


def _catalogue(catalogue: Catalogue | str | Path | None) -> Catalogue:
    if catalogue is None:
        return Catalogue.builtin()
    if isinstance(catalogue, str | Path):
        catalogue = Catalogue.load(catalogue)
    return catalogue.with_builtin()


class Simulator:
    """A faithful local AFAS Profit REST server with generated data.

    Example:
        >>> sim = Simulator(rows=200, seed=1)
        >>> with sim.serve() as base_url:
        ...     ...  # AfasClient(sim.token, base_url=base_url)

    Args:
        rows: rows generated per GetConnector (lazily, on first use of each connector).
        seed: seeds the data and the default token.
        token: the token clients must send (full ``<token>`` XML or its data part); generated when None.
        catalogue: a `Catalogue`, or the path of a catalogue file (added to the built-in connectors unless the
            file sets ``include_builtin: false``); None for the built-in catalogue.
        faults: faults to inject from the start; change them later with `faults`.
        refusals: how refused writes are worded: `"plain"` names the fields only; `"afas-formatted"` also
            quotes the values sent and another record's name the way AFAS formats them (`1.234,50`,
            `1 mei 2024`, `PIET DE BOER`, `O&#39;Brien`, cut short), to test that none of them is stored.

    Raises:
        CatalogueError: the catalogue file is invalid.
        ValueError: the token is malformed.
    """

    def __init__(
        self,
        rows: int = 1000,
        seed: int = 1,
        token: str | None = None,
        catalogue: Catalogue | str | Path | None = None,
        faults: Faults | None = None,
        refusals: Refusals | str = Refusals.PLAIN,
    ) -> None:
        if rows < 0:
            raise ValueError("rows must not be negative")
        try:
            wording = Refusals(refusals)
        except ValueError:
            choices = ", ".join(repr(r.value) for r in Refusals)
            raise ValueError(f"refusals must be one of {choices}, not {refusals!r}") from None
        self.seed = seed
        self.catalogue = _catalogue(catalogue)
        self.token = make_token(seed) if token is None else normalise_token(token)
        self._state = SimState(self.catalogue, rows, seed, self.token, faults or Faults(), wording)
        self.app: ASGIApp = build_app(self._state)
        self.base_url: str | None = None

    def __repr__(self) -> str:
        return f"Simulator(base_url={self.base_url!r}, seed={self.seed})"

    @property
    def auth_header(self) -> str:
        """The ``Authorization`` header value clients must send."""
        return token_header(self.token)

    @property
    def faults(self) -> Faults:
        """The faults in force; assign a new `Faults` to switch them at runtime."""
        return self._state.plan.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._state.plan.faults = faults

    @property
    def read_gate(self) -> ReadGate | None:
        """The gate that holds writes of one element until enough pages were read (`gate`), or None."""
        return self._state.read_gate

    @read_gate.setter
    def read_gate(self, gate: ReadGate | None) -> None:
        self._state.read_gate = gate

    def rows(self, get_connector_id: str) -> list[dict[str, Any]]:
        """What a GET would return now: copies of all rows of a GetConnector, in table order.

        Raises:
            KeyError: unknown GetConnector.
        """
        if get_connector_id not in self._state.store.tables:
            raise KeyError(f"unknown GetConnector {get_connector_id!r}")
        return self._state.store.snapshot(get_connector_id)

    @property
    def writes(self) -> list[WriteRecord]:
        """Every accepted write, oldest first."""
        return self._state.writes

    @property
    def refused(self) -> list[RefusedWrite]:
        """Every refused POST or PUT with its body as received, oldest first."""
        return self._state.refused

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request, oldest first."""
        return self._state.requests

    @property
    def max_in_flight(self) -> int:
        """The highest number of requests in flight at once since the start or the last `clear_log`."""
        return self._state.max_in_flight

    def clear_log(self) -> None:
        """Forget the logged requests and writes (accepted and refused)."""
        self._state.clear_log()

    @contextlib.contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve on 127.0.0.1 in a background thread; yields the base URL once the server answers.

        Args:
            port: TCP port; 0 picks a free one.

        Raises:
            RuntimeError: the server did not start.
        """
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is TCP; without it
        # every response waits ~40 ms for the client's delayed ACK (Nagle), capping throughput.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        # httptools parses in C: h11's pure-Python parsing, serial on the simulator's one event loop, kept
        # every client further from the ceiling (bench/RESULTS.md, 2026-12-06 08:10).
        config = uvicorn.Config(
            self.app,
            http="httptools",
            lifespan="off",
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="stkkr-simulator", daemon=True
        )
        thread.start()
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/ProfitRestServices"
        try:
            self._wait_until_ready(server, thread, base_url)
            self.base_url = base_url
            yield base_url
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
            self.base_url = None

    def _wait_until_ready(self, server: uvicorn.Server, thread: threading.Thread, base_url: str) -> None:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        host, port = base_url.split("/")[2].split(":")
        with socket.create_connection((host, int(port)), timeout=10):
            pass  # the server accepts connections; requests are not sent, so logs and faults stay untouched
