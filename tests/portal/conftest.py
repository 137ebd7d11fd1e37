"""The portal on a real uvicorn server, over a real stkkr database and the session's Prefect test server.

Two tenants, acme and globex, each with a deployed stkkr that ran once against the simulator (so its runs
have counts) and an error record; users ann (acme), gus (globex) and the operator ops.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
import yaml

from blocks import AfasConnection
from stkkr_tasks.deploy import deploy
from stkkr_tasks.portal import create_app
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from stkkr_tasks.store import ErrorStore, NewErrorRecord
from stkkr_tasks.tenants import TenantStore
from tests.deploy.deploy_helpers import stkkr_document

PASSWORD = "correct horse battery"
ANN_EMAIL = "ann@acme.example"


@dataclass(frozen=True)
class Portal:
    """A running portal and what it holds."""

    url: str
    database_url: str
    stkkrs: dict[str, str]  # tenant -> its stkkr


@contextlib.contextmanager
def serve_app(app: object) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))  # type: ignore[arg-type]
    context = contextvars.copy_context()  # the Prefect test server's settings live in context variables
    thread = threading.Thread(target=context.run, args=(server.run,), kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the portal did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


async def _seed(url: str, stkkrs: dict[str, str]) -> None:
    async with ErrorStore(url) as store:
        tenants = TenantStore(store)
        await tenants.add_tenant("acme", name="Acme BV", contact_name="Ann Smit", contact_email=ANN_EMAIL)
        await tenants.add_tenant("globex", name="Globex NV", contact_email="gus@globex.example")
        await tenants.add_user("ann", "acme", PASSWORD, email=ANN_EMAIL)
        await tenants.add_user("gus", "globex", PASSWORD, email="gus@globex.example")
        await tenants.add_user("ops", None, PASSWORD)
        for tenant, stkkr in stkkrs.items():
            record = NewErrorRecord(stkkr, tenant, None, "update", "f" * 64, 500, -1, "LOG-1", "refused: ***")
            await store.add_errors([record])


@pytest.fixture(scope="session")
def portal(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The portal of this test session (set up once: deployments, runs and users take a while)."""
    root = tmp_path_factory.mktemp("portal")
    deployments, database_url = root / "deployments", f"sqlite:///{root / 'stkkr.db'}"
    deployments.mkdir()
    suffix = uuid.uuid4().hex[:6]
    stkkrs = {"acme": f"acme-close-{suffix}", "globex": f"globex-close-{suffix}"}
    connection = f"sim-portal-{suffix}"
    with pytest.MonkeyPatch.context() as env, _simulator() as sim:
        env.setenv("STKKR_DATABASE_URL", database_url)
        env.setenv("STKKR_DEPLOYMENTS_DIR", str(deployments))
        env.setenv("STKKR_FINGERPRINT_KEY", "portal-fingerprint-key")
        AfasConnection(base_url=sim.base_url, token=sim.token).save(connection)
        paths: list[Path] = []
        for tenant, name in stkkrs.items():
            document = stkkr_document(name, tenant=tenant, connection=connection, schedule={"every": "1h"})
            paths.append(deployments / f"{name}.yaml")
            paths[-1].write_text(yaml.safe_dump(document), encoding="utf-8")
        deploy(work_pool=f"portal-{suffix}", retention=False)
        for path in paths:
            run_stkkr(path)
        asyncio.run(_seed(database_url, stkkrs))
        with serve_app(create_app(database_url)) as url:
            yield Portal(url, database_url, stkkrs)


@contextlib.contextmanager
def _simulator() -> Iterator[Simulator]:
    """A simulator with 60 rows per connector, served on loopback."""
    sim = Simulator(rows=60)
    with sim.serve():
        yield sim
