"""Shared fixtures: environment for offline runs, one Prefect test server per session, the AFAS simulator."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
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
