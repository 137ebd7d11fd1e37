"""One limit per AFAS environment across processes: the Prefect global concurrency limit, taken per page.

Slots held elsewhere (another worker) keep a page from sending anything until they are given back; the
limit follows the block's `max_concurrency`; an unreachable server makes a run wait, never run unlimited;
two runs of one environment interleave within the limit; a run's requests cost a few server round trips
per page, not one each; a work-pool run refuses a local SQLite stkkr database.
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
from stkkr_tasks.run import arun_stkkr, compile_stkkr, limit
from stkkr_tasks.run.limit import limit_name, run_slots
from stkkr_tasks.simulator import Faults, Simulator
from stkkr_tasks.simulator.gate import ReadGate
from stkkr_tasks.spec import StkkrSpec, load_stkkr_text
from tests.fixture_types import MakeSimulator

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
        async with run_slots({environment: 3}, on_wait=on_wait) as slots, slots.page(3):
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


async def test_two_runs_of_one_environment_interleave_within_its_limit(make_simulator: MakeSimulator) -> None:
    sim = make_simulator(rows=160, seed=5, faults=Faults(latency_ms=30))
    # The first write waits until three pages were read: one run reads two at most before its first write
    # is answered (two pages in memory), so the other run must have started by then. With slots per run,
    # the first run would hold them all and the gate would time out.
    sim.read_gate = gate = ReadGate(reads=3, timeout_s=120)
    connection = await _connection(sim, max_concurrency=2)
    # One writer per page (on_error: stop): each run needs one slot, though it reads a page while it writes
    # the one before (two requests in flight, were its slots not the limit of its requests).
    first_run, second_run = (
        load_stkkr_text(
            WRITE_ALL.format(name=f"t-{uuid.uuid4().hex[:10]}", connection=connection).replace("true", value)
            + "on_error: stop\n"
        )
        for value in ("true", "false")
    )

    summaries = await asyncio.gather(arun_stkkr(first_run), arun_stkkr(second_run))

    assert [(s.state, s.written) for s in summaries] == [("Completed", 160), ("Completed", 160)]
    assert not gate.timed_out  # both runs held slots at once
    assert sim.max_in_flight <= 2  # both runs together, never above the block's max_concurrency
    order = [write.sent["PtProject"]["Element"]["Fields"]["ChOu"] for write in sim.writes]
    first = {value: order.index(value) for value in (True, False)}
    last = {value: len(order) - 1 - order[::-1].index(value) for value in (True, False)}
    assert first[True] < last[False] and first[False] < last[True]  # each wrote while the other did
    name = limit_name(environment_scope(base_url=sim.base_url))
    async with get_client() as client:
        assert (await client.read_global_concurrency_limit_by_name(name)).active_slots == 0


async def test_pages_one_after_another_cost_two_round_trips_and_their_requests_none(
    make_simulator: MakeSimulator,
) -> None:
    sim = make_simulator(rows=10, seed=7, faults=Faults(latency_ms=20))
    environment = environment_scope(base_url=sim.base_url)
    block = AfasConnection(base_url=sim.base_url, token=sim.token, max_concurrency=4)
    async with run_slots({environment: 4}) as slots, block.get_client() as afas:
        afas.gate_requests(slots.request)
        for _ in range(3):  # a page read, its writes, the next page: a few Prefect tasks apart
            async with slots.page(4):
                await asyncio.gather(*(afas.profit_version() for _ in range(12)))
        await afas.profit_version()  # a request outside any page is a page of its own
        assert (slots.round_trips, slots.held) == (1, 4)  # taken once; the pages' 37 requests cost nothing
    assert slots.round_trips == 2  # given back when the run ended
    assert len(sim.requests) == 37 and sim.max_in_flight == 4


async def test_a_page_that_cannot_have_more_slots_shares_those_held_and_never_waits(
    make_simulator: MakeSimulator,
) -> None:
    sim = make_simulator(rows=10, seed=7, faults=Faults(latency_ms=20))
    environment = environment_scope(base_url=sim.base_url)
    block = AfasConnection(base_url=sim.base_url, token=sim.token, max_concurrency=4)
    async with run_slots({environment: 4}) as slots, block.get_client() as afas:
        afas.gate_requests(slots.request)
        other_run = concurrency(limit_name(environment), occupy=3, lease_duration=60, strict=True)
        async with slots.page(1), other_run:  # a page read holds one slot; another run the other three
            async with asyncio.timeout(30), slots.page(4):  # asks once for three more, goes on with one
                await asyncio.gather(*(afas.profit_version() for _ in range(6)))
            assert slots.held == 1
    assert sim.max_in_flight == 1


async def test_after_its_turn_a_run_gives_its_slots_back_before_a_new_page(
    make_simulator: MakeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limit, "TURN_S", 0.0)  # every stretch of pages is past its turn at once
    monkeypatch.setattr(limit, "POLL_MAX_S", 0.0)
    monkeypatch.setattr(limit, "LINGER_S", 0.0)
    sim = make_simulator(rows=10, seed=7, faults=Faults(latency_ms=20))
    environment = environment_scope(base_url=sim.base_url)
    block = AfasConnection(base_url=sim.base_url, token=sim.token, max_concurrency=2)
    trips_when_entered: list[int] = []

    async def next_page(slots: limit.RunSlots) -> None:
        async with slots.page(2):
            trips_when_entered.append(slots.round_trips)

    async with run_slots({environment: 2}) as slots, block.get_client() as afas:
        afas.gate_requests(slots.request)
        async with slots.page(2):
            following = asyncio.create_task(next_page(slots))
            await afas.profit_version()  # the next page starts meanwhile, and waits: it may not join
            assert not trips_when_entered
        await following
    assert trips_when_entered == [3]  # take, give back, then its own take (joining would have cost none)


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
        with temporary_settings(updates={PREFECT_API_URL: url}):
            entered = asyncio.Event()

            async def hold() -> None:
                async with run_slots({environment: 2}, on_wait=on_wait) as slots, slots.page(2):
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
