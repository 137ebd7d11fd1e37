"""Prefect's events in tests: the workers that send them follow PREFECT_API_URL, and the task runs the server
records from them are read once they are all there.

A module of its own, not conftest.py: importing `tests.conftest` would run the conftest a second time (as
another module) and give the process a new STKKR_HOME in the middle of the session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowRunFilter
    from prefect.client.schemas.objects import TaskRun
    from prefect.settings import Setting


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
    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)


@contextmanager
def prefect_api_at(url: str, updates: Mapping[Setting, Any] | None = None) -> Iterator[None]:
    """PREFECT_API_URL (and any other `updates`) set for the block, Prefect's workers following it in and out.

    Example:
        `with prefect_api_at(f"http://127.0.0.1:{port}/api"): ...` (a sync test; see `drain_prefect_workers`).
    """
    drain_prefect_workers()
    with temporary_settings(updates={PREFECT_API_URL: url, **(updates or {})}):
        try:
            yield
        finally:
            drain_prefect_workers()


async def recorded_task_runs(
    client: PrefectClient, runs: FlowRunFilter, *, at_least: int = 1, timeout: float = 60.0
) -> list[TaskRun]:
    """The task runs of the flow runs `runs` selects, once the server has recorded them.

    The server builds task runs from the events the runs sent, a moment after it received them: they are read
    until there are at least `at_least` and two reads in a row find the same number, or `timeout` seconds
    have passed (then the test's own assertions say what is missing).
    """
    deadline = time.monotonic() + timeout
    seen = -1
    while True:
        task_runs = await client.read_task_runs(flow_run_filter=runs, limit=200)
        settled = len(task_runs) >= at_least and len(task_runs) == seen
        if settled or time.monotonic() > deadline:
            return list(task_runs)
        seen = len(task_runs)
        await asyncio.sleep(0.2)  # polling the server's record, not synchronisation
