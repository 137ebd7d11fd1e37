"""Shared fixtures: environment for offline runs, one Prefect test server per session, the AFAS simulator."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from prefect.settings import Setting

    from stkkr_tasks.simulator import Simulator

# Set before Prefect or stkkr read their settings.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
_STKKR_HOME = tempfile.mkdtemp(prefix="stkkr-test-home-")
os.environ["STKKR_HOME"] = _STKKR_HOME
os.environ.pop("STKKR_DATABASE_URL", None)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Run async tests on asyncio only."""
    return "asyncio"


@pytest.fixture(scope="session")
def stkkr_home() -> str:
    """The temporary STKKR_HOME of this test session."""
    return _STKKR_HOME


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for the whole session, with flow heartbeats switched off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=60),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


def drain_prefect_workers(timeout: float = 30.0) -> None:
    """Send what Prefect's event and API-log workers hold, then stop them; the next event or log line of this
    process starts new ones on the PREFECT_API_URL of that moment.

    Prefect keeps one worker of each kind per process, whatever PREFECT_API_URL says later: it sends to the
    server that was current when it started. A test that points PREFECT_API_URL elsewhere must drain them on
    the way in and out (`prefect_api_at`), or every later event of the process goes to a server that is gone
    (seen: an events worker left on a closed proxy, every event failing after ~75 s, so the session's server
    recorded no task runs for the tests after it). Call it outside a running event loop (from async code:
    `await asyncio.to_thread(drain_prefect_workers)`).
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)


@contextmanager
def prefect_api_at(url: str, updates: Mapping[Setting, Any] | None = None) -> Iterator[None]:
    """PREFECT_API_URL (and any other `updates`) set for the block, Prefect's workers following it in and out.

    Example:
        `with prefect_api_at(f"http://127.0.0.1:{port}/api"): ...` (a sync test; see `drain_prefect_workers`).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    drain_prefect_workers()
    with temporary_settings(updates={PREFECT_API_URL: url, **(updates or {})}):
        try:
            yield
        finally:
            drain_prefect_workers()


@pytest.fixture
def make_simulator() -> Iterator[Callable[..., Simulator]]:
    """Factory that starts simulators on loopback; all are stopped after the test."""
    from contextlib import ExitStack

    from stkkr_tasks.simulator import Simulator

    with ExitStack() as stack:

        def start(**kwargs: Any) -> Simulator:
            sim = Simulator(**kwargs)
            stack.enter_context(sim.serve())
            return sim

        yield start


@pytest.fixture
def simulator(make_simulator: Callable[..., Simulator]) -> Simulator:
    """A running simulator with 200 rows per connector, seed 1."""
    return make_simulator(rows=200, seed=1)
