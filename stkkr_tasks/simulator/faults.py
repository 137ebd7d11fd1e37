"""Switchable faults: latency, 503 and 429 with Retry-After, 502/504 of a gateway, 500 lock errors, dropped
connections, slow pages."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Faults:
    """The faults a simulator injects; assign a new instance to ``Simulator.faults`` to switch at runtime.

    Attributes:
        latency_ms: every answer leaves this long after its request arrived, as AFAS's response time; the
            simulator does its own work within it (see `app._AnswerTime`).
        unavailable_rate: share of requests (0..1) answered 503 with ``Retry-After``, nothing processed.
        retry_after_s: the ``Retry-After`` seconds of those answers (and of 429 answers).
        retry_after_text: sent as the ``Retry-After`` header instead of ``retry_after_s`` when given, to try
            odd advice (``nan``, ``-5``, an HTTP date).
        throttle_rate: share of requests (0..1) answered 429 Too Many Requests with ``Retry-After``, nothing
            processed.
        bad_gateway_rate: share of requests answered 502 by a gateway in front of AFAS after AFAS processed
            them: a write is applied, but the client cannot know.
        gateway_timeout_rate: the same with 504 (the gateway gave up waiting for AFAS's answer).
        lock_error_rate: share of writes (POST/PUT/DELETE) answered with AFAS's lock error, nothing written.
        drop_rate: share of requests whose connection is closed without an answer. A write is applied before
            its connection is dropped (the client cannot know the outcome); a read is dropped before work.
        drop_writes_only: drop only writes (every read is answered), for rehearsing unknown outcomes.
        slow_page_ms: added to the answer time of every GetConnector page, on top of `latency_ms`.
        element_ms: added to the answer time of every POST/PUT per element it carries (a request costs
            `latency_ms` plus this for each top-level element), as AFAS spends time per record.
        element_arrays: False refuses a top-level `Element` array, as a connector that takes one record per
            request would (whether AFAS accepts several is unconfirmed; try it on a test environment).
        seed: seeds the random choices, so a sequence of requests meets the same faults every run.
    """

    latency_ms: int = 0
    unavailable_rate: float = 0.0
    retry_after_s: int = 1
    retry_after_text: str | None = None
    throttle_rate: float = 0.0
    bad_gateway_rate: float = 0.0
    gateway_timeout_rate: float = 0.0
    lock_error_rate: float = 0.0
    drop_rate: float = 0.0
    drop_writes_only: bool = False
    slow_page_ms: int = 0
    element_ms: int = 0
    element_arrays: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        for name in _RATES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1")
        for name in ("latency_ms", "retry_after_s", "slow_page_ms", "element_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"Faults.{name} must not be negative")


_RATES = (
    "unavailable_rate", "lock_error_rate", "drop_rate", "throttle_rate", "bad_gateway_rate",
    "gateway_timeout_rate",
)  # fmt: skip


class Fault(Enum):
    """What happens to one request."""

    NONE = "none"
    UNAVAILABLE = "unavailable"
    LOCKED = "locked"
    DROP = "drop"
    THROTTLED = "throttled"
    BAD_GATEWAY = "bad_gateway"
    GATEWAY_TIMEOUT = "gateway_timeout"


class FaultPlan:
    """Draws the fault of each request from the current `Faults`, deterministically for its seed."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.faults = faults

    @property
    def faults(self) -> Faults:
        """The current faults."""
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._random = random.Random(faults.seed)

    def draw(self, is_write: bool) -> Fault:
        """The fault for the next request (one draw per kind, in a fixed order)."""
        with self._lock:
            f, roll = self._faults, self._random.random
            unavailable, drop, locked = roll(), roll(), roll()
            # drawn only when asked for, so that the older faults meet the same requests for a seed
            gateway = f.throttle_rate or f.bad_gateway_rate or f.gateway_timeout_rate
            throttled, bad, timeout = (roll(), roll(), roll()) if gateway else (1.0, 1.0, 1.0)
        if unavailable < f.unavailable_rate:
            return Fault.UNAVAILABLE
        if throttled < f.throttle_rate:
            return Fault.THROTTLED
        if bad < f.bad_gateway_rate:
            return Fault.BAD_GATEWAY
        if timeout < f.gateway_timeout_rate:
            return Fault.GATEWAY_TIMEOUT
        if drop < f.drop_rate and (is_write or not f.drop_writes_only):
            return Fault.DROP
        if is_write and locked < f.lock_error_rate:
            return Fault.LOCKED
        return Fault.NONE
