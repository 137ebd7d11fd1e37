"""A starting run on a work pool marks its deployment's runs whose worker died Crashed (real server)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.states import Running

from stkkr_tasks.run.predecessors import SILENT_SECONDS, crash_silent_predecessors

pytestmark = pytest.mark.usefixtures("prefect_server")


async def _two_runs_of_one_deployment(work_pool: str | None) -> tuple[FlowRun, FlowRun]:
    """A deployment (on a work pool, or none) with an earlier run that is Running and a new one."""
    async with get_client() as client:
        if work_pool is not None:
            await client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
        flow_id = await client.create_flow_from_name(f"f-{uuid.uuid4().hex[:8]}")
        deployment_id = await client.create_deployment(
            flow_id, name="d", work_pool_name=work_pool, entrypoint="flows/stkkrs.py:x"
        )
        earlier = await client.create_flow_run_from_deployment(deployment_id)
        await client.set_flow_run_state(earlier.id, Running(), force=True)
        starting = await client.create_flow_run_from_deployment(deployment_id)
        return await client.read_flow_run(earlier.id), starting


async def _state_type(flow_run_id: uuid.UUID) -> StateType | None:
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        return run.state.type if run.state else None


def test_a_silent_running_run_of_the_deployment_is_marked_crashed() -> None:
    earlier, starting = asyncio.run(_two_runs_of_one_deployment(f"pool-{uuid.uuid4().hex[:8]}"))
    assert starting.work_pool_name is not None
    later = datetime.now(UTC) + timedelta(seconds=SILENT_SECONDS + 30)  # nothing heard of it since

    crashed = asyncio.run(crash_silent_predecessors(starting, now=later))

    assert crashed == [str(earlier.id)]
    assert asyncio.run(_state_type(earlier.id)) == StateType.CRASHED


def test_a_run_that_started_lately_is_left_running() -> None:
    earlier, starting = asyncio.run(_two_runs_of_one_deployment(f"pool-{uuid.uuid4().hex[:8]}"))

    assert asyncio.run(crash_silent_predecessors(starting)) == []
    assert asyncio.run(_state_type(earlier.id)) == StateType.RUNNING


def test_runs_without_a_work_pool_send_no_heartbeats_and_are_left_alone() -> None:
    earlier, starting = asyncio.run(_two_runs_of_one_deployment(None))
    later = datetime.now(UTC) + timedelta(seconds=SILENT_SECONDS + 30)

    assert asyncio.run(crash_silent_predecessors(starting, now=later)) == []
    assert asyncio.run(_state_type(earlier.id)) == StateType.RUNNING
