"""The state one simulator serves from: catalogue, data, token, faults and the request/write log."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from stkkr_tasks.afas.auth import token_header
from stkkr_tasks.simulator.catalogue import Catalogue
from stkkr_tasks.simulator.faults import FaultPlan, Faults
from stkkr_tasks.simulator.gate import ReadGate
from stkkr_tasks.simulator.refusals import Refusals
from stkkr_tasks.simulator.tables import DataStore


@dataclass(frozen=True)
class RequestRecord:
    """One request as the simulator saw it; `status` is 0 when the connection was dropped unanswered."""

    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True)
class RefusedWrite:
    """A POST or PUT the simulator refused, with its body exactly as received (tests compare resends)."""

    method: str
    connector: str
    body: bytes


@dataclass(frozen=True)
class WriteRecord:
    """One accepted write: POST/PUT with its body, or DELETE with the keys from its URL."""

    method: str
    connector: str
    body: dict[str, Any] | None
    path: str
    keys: dict[str, Any] = field(default_factory=dict)

    @property
    def sent(self) -> dict[str, Any]:
        """The body of a POST or PUT.

        Raises:
            ValueError: The write is a DELETE, which sends no body.
        """
        if self.body is None:
            raise ValueError(f"a {self.method} to {self.connector} sends no body")
        return self.body


class SimState:
    """Everything the ASGI app reads and changes; safe to inspect from other threads."""

    def __init__(
        self,
        catalogue: Catalogue,
        rows: int,
        seed: int,
        token: str,
        faults: Faults,
        refusals: Refusals = Refusals.PLAIN,
    ) -> None:
        self.catalogue = catalogue
        self.refusals = refusals
        self.refusal_turns = itertools.count()
        self.store = DataStore(catalogue, rows, seed)
        self.token = token
        self.expected_auth = token_header(token)
        self.plan = FaultPlan(faults)
        #: When set, writes of one element wait for the GetConnector reads it counts (tests only).
        self.read_gate: ReadGate | None = None
        self._log_lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._writes: list[WriteRecord] = []
        self._refused: list[RefusedWrite] = []
        self._in_flight = 0
        self._max_in_flight = 0

    def request_started(self) -> None:
        """Count a request in flight (from its arrival until its answer is sent)."""
        with self._log_lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def request_ended(self) -> None:
        """Count a request as answered."""
        with self._log_lock:
            self._in_flight -= 1

    @property
    def max_in_flight(self) -> int:
        """The highest number of requests in flight at once since the start or the last `clear_log`."""
        with self._log_lock:
            return self._max_in_flight

    def log_request(self, record: RequestRecord) -> None:
        """Append to the request log."""
        with self._log_lock:
            self._requests.append(record)

    def log_write(self, record: WriteRecord) -> None:
        """Append to the write log."""
        with self._log_lock:
            self._writes.append(record)

    def log_refused(self, record: RefusedWrite) -> None:
        """Append to the log of refused writes."""
        with self._log_lock:
            self._refused.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log."""
        with self._log_lock:
            return list(self._requests)

    @property
    def writes(self) -> list[WriteRecord]:
        """A copy of the write log."""
        with self._log_lock:
            return list(self._writes)

    @property
    def refused(self) -> list[RefusedWrite]:
        """A copy of the log of refused writes."""
        with self._log_lock:
            return list(self._refused)

    def clear_log(self) -> None:
        """Forget all logged requests and writes; the highest in flight restarts from those in flight now."""
        with self._log_lock:
            self._requests.clear()
            self._writes.clear()
            self._refused.clear()
            self._max_in_flight = self._in_flight
