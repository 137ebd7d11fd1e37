"""`stkkr deploy` on a work pool: runs send heartbeats, and one automation crashes a run whose worker died."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger

from stkkr_tasks.deploy import deploy
from stkkr_tasks.deploy.crashes import AUTOMATION_NAME

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.anyio]


async def test_deploy_makes_runs_beat_and_keeps_one_crash_automation(
    write_stkkr: Callable[..., Path],
) -> None:
    write_stkkr("dep-beats", schedule={"every": "15m"})

    deploy(work_pool="stkkr-test", retention=False)
    deploy(work_pool="stkkr-test", retention=False)  # again: still one automation

    async with get_client() as client:
        deployment = await client.read_deployment_by_name("dep-beats/dep-beats")
        automations = await client.read_automations_by_name(AUTOMATION_NAME)
    assert deployment.job_variables["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
    assert len(automations) == 1
    (automation,) = automations
    trigger, (action,) = automation.trigger, automation.actions
    assert isinstance(trigger, EventTrigger) and isinstance(action, ChangeFlowRunState)
    assert trigger.within == timedelta(seconds=90)
    assert trigger.after == {"prefect.flow-run.heartbeat", "prefect.flow-run.Running"}
    assert action.state == StateType.CRASHED
