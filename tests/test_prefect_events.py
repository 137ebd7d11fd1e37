"""`prefect_api_at`: after a block on another Prefect API, events reach the session's server again."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid

import pytest
from prefect import get_client
from prefect.events import emit_event
from prefect.events.filters import EventFilter, EventNameFilter

from tests.prefect_events import drain_prefect_workers, prefect_api_at

pytestmark = pytest.mark.usefixtures("prefect_server")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _stored(name: str, timeout: float = 60.0) -> bool:
    """Whether the session's server stores an event of this name within `timeout` (it persists in batches)."""
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            page = await client.read_events(EventFilter(event=EventNameFilter(name=[name])), limit=1)
            if page.events:
                return True
            await asyncio.sleep(0.2)  # polling the server's record, not synchronisation
    return False


def test_events_go_to_the_session_server_again_after_a_block_on_another_api() -> None:
    drain_prefect_workers()  # the first event below starts Prefect's events worker
    with prefect_api_at(f"http://127.0.0.1:{_closed_port()}/api"):
        emit_event(f"stkkr.test.elsewhere.{uuid.uuid4().hex}", resource={"prefect.resource.id": "stkkr.test"})
    after = f"stkkr.test.back.{uuid.uuid4().hex}"

    emit_event(after, resource={"prefect.resource.id": "stkkr.test"})

    assert asyncio.run(_stored(after))
