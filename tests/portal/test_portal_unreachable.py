"""When the Prefect API does not answer, the portal says so (503) instead of showing a traceback."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import httpx

from stkkr_tasks.portal import create_app
from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore
from tests.portal.conftest import PASSWORD, serve_app
from tests.prefect_events import prefect_api_at


async def _seed(url: str) -> None:
    async with ErrorStore(url) as store:
        tenants = TenantStore(store)
        await tenants.add_tenant("acme")
        await tenants.add_user("ann", "acme", PASSWORD)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_prefect_api_is_a_clear_503(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'stkkr.db'}"
    asyncio.run(_seed(database_url))
    api_url = f"http://127.0.0.1:{_closed_port()}/api"
    with prefect_api_at(api_url), serve_app(create_app(database_url)) as url:
        client = httpx.Client(base_url=url, follow_redirects=True)
        form = client.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        page = client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf": csrf.group(1)})
    assert page.status_code == 503
    assert f"the Prefect API at {api_url} did not answer" in page.text and "Traceback" not in page.text
