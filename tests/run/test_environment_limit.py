"""One limit per AFAS environment across processes: the Prefect global concurrency limit a run takes.

Slots held elsewhere (another worker) keep a run from sending anything until they are given back; the
limit follows the block's `max_concurrency`; an unreachable server makes a run wait, never run unlimited;
a work-pool run refuses a local SQLite stkkr database.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.concurrency.asyncio import concurrency
from prefect.flow_engine import run_flow_async
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import State

from blocks import AfasConnection
from stkkr_tasks.afas.environment import environment_scope
from stkkr_tasks.run import arun_stkkr, compile_stkkr
from stkkr_tasks.run.limit import environment_slots, limit_name
from stkkr_tasks.simulator import Faults, Simulator
from stkkr_tasks.spec import StkkrSpec, load_stkkr_text
from tests.fixture_types import MakeSimulator
from tests.prefect_events import drain_prefect_workers

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.anyio]

WRITE_ALL = """
stkkr: {name}
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 20}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{ChOu: true}}
update: {{connector: PtProject, action: update}}
"""


def _spec(connection: str) -> StkkrSpec:
    return load_stkkr_text(WRITE_ALL.format(name=f"t-{uuid.uuid4().hex[:10]}", connection=connection))


async def _connection(sim: Simulator, max_concurrency: int) -> str:
    name = f"sim-{uuid.uuid4().hex[:10]}"
    block = AfasConnection(base_url=sim.base_url, token=sim.token, max_concurrency=max_concurrency)
    await block.asave(name)
    return name


async def test_slots_held_elsewhere_make_a_run_wait_and_nothing_is_sent() -> None:
    environment = f"afas:{uuid.uuid4().int % 10**6}:test"
    name = limit_name(environment)
    waits: list[str] = []
    told, entered = asyncio.Event(), asyncio.Event()

    def on_wait(message: str) -> None:
        waits.append(message)
        told.set()

    async def run() -> None:
        async with environment_slots(environment, 3, on_wait=on_wait):
            entered.set()

    async with get_client() as client:
        await client.upsert_global_concurrency_limit_by_name(name, 3)
    async with concurrency(name, occupy=2, lease_duration=60, strict=True):  # another worker's run
        waiting = asyncio.create_task(run())
        await told.wait()
        assert not entered.is_set()
    await waiting

    assert entered.is_set()
    assert waits == [f"The slots of {name!r} are taken by other runs; this run waits for them."]
    async with get_client() as client:
        assert (await client.read_global_concurrency_limit_by_name(name)).active_slots == 0


async def test_a_run_takes_its_environments_limit_from_the_block(make_simulator: MakeSimulator) -> None:
    sim = make_simulator(rows=60, seed=3, faults=Faults(latency_ms=30))
    name = limit_name(environment_scope(base_url=sim.base_url))

    summary = await arun_stkkr(_spec(await _connection(sim, max_concurrency=3)))

    assert (summary.state, summary.written) == ("Completed", 60)
    assert sim.max_in_flight == 3  # the block's max_concurrency, not the client's default 8
    async with get_client() as client:
        limit = await client.read_global_concurrency_limit_by_name(name)
    assert (limit.limit, limit.active_slots) == (3, 0)  # created with the block's number, given back


@contextlib.asynccontextmanager
async def _late_proxy(target: str) -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A loopback port that refuses connections until the event is set, then forwards them to `target`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host, target_port = target.split("//")[1].split("/")[0].split(":")
    opened = asyncio.Event()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def serve_when_opened() -> None:
        await opened.wait()
        server = await asyncio.start_server(forward, "127.0.0.1", port)
        async with server:
            await asyncio.Event().wait()

    task = asyncio.create_task(serve_when_opened())
    try:
        yield f"http://127.0.0.1:{port}/api", opened
    finally:
        task.cancel()


async def test_an_unreachable_server_makes_the_run_wait_then_take_its_slots() -> None:
    environment = f"afas:{uuid.uuid4().int % 10**6}:test"
    warnings: list[str] = []
    warned = asyncio.Event()

    def on_wait(message: str) -> None:
        warnings.append(message)
        warned.set()

    async with _late_proxy(PREFECT_API_URL.value()) as (url, opened):
        await asyncio.to_thread(drain_prefect_workers)  # see there: events must follow the URL in and out
        with temporary_settings(updates={PREFECT_API_URL: url}):
            entered = asyncio.Event()

            async def hold() -> None:
                async with environment_slots(environment, 2, on_wait=on_wait):
                    entered.set()
                    await asyncio.Event().wait()

            holder = asyncio.create_task(hold())
            await warned.wait()
            assert not entered.is_set()  # waiting, not running unlimited
            opened.set()  # the server is back
            await entered.wait()
            async with get_client() as client:
                limit = await client.read_global_concurrency_limit_by_name(limit_name(environment))
            holder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await holder  # its slots are given back (an event) before the workers are drained
            await asyncio.to_thread(drain_prefect_workers)  # while the proxy still forwards
    assert (limit.limit, limit.active_slots) == (2, 2)
    assert len(warnings) == 1 and "waits and retries" in warnings[0]


async def test_a_work_pool_run_refuses_the_local_sqlite_database(simulator: Simulator) -> None:
    spec = _spec(await _connection(simulator, max_concurrency=8))
    stkkr_flow = compile_stkkr(spec)
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        flow_id = await client.create_flow(stkkr_flow)
        deployment_id = await client.create_deployment(
            flow_id, spec.stkkr, work_pool_name=pool, entrypoint="flows/stkkrs.py:stkkr"
        )
        flow_run = await client.create_flow_run_from_deployment(deployment_id)
    assert flow_run.work_pool_name == pool

    state = await run_flow_async(stkkr_flow, flow_run=flow_run, parameters={}, return_type="state")

    assert isinstance(state, State) and state.is_failed()
    assert "STKKR_DATABASE_URL" in str(state.message) and "PostgreSQL" in str(state.message)
    assert simulator.requests == []  # nothing was sent
