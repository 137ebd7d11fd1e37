"""A run whose worker died is marked Crashed: flow-run heartbeats plus one automation that misses them.

A worker that dies (machine lost, process killed) cannot report its run's end, so Prefect would show the run
Running for ever and keep the stkkr's deployment slot taken. `stkkr deploy` makes every run on a work pool
send a heartbeat each `HEARTBEAT_SECONDS` (a job variable of the deployment) and keeps one automation that
marks a stkkr run Crashed when `MISSED_HEARTBEATS` heartbeats in a row did not come. The run's AFAS slots
come back by themselves when its lease ends (`stkkr_tasks.run.limit`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

HEARTBEAT_SECONDS = 30  # Prefect's minimum
MISSED_HEARTBEATS = 3
AUTOMATION_NAME = "stkkr: crash runs whose worker died"
HEARTBEAT_ENV = {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}
"""The environment a deployment's runs get on a worker, so that they send heartbeats this often."""

_ENDS = ("Completed", "Failed", "Cancelled", "Crashed")


def crash_automation(missed: int = MISSED_HEARTBEATS) -> AutomationCore:
    """The automation: after a stkkr run starts or beats, expect a heartbeat (or its end) within `missed`.

    Its start counts too: a worker killed between the run's Running state and its first heartbeat would
    otherwise leave a run that never beat, which a trigger on heartbeats alone never notices.

    Args:
        missed: Heartbeats in a row that did not come before the run is Crashed, instead of 3 (the CI-sized
            scale test takes 2, to see its killed worker's run Crashed sooner).
    """
    silence = HEARTBEAT_SECONDS * missed
    return AutomationCore(
        name=AUTOMATION_NAME,
        description="Marks a stkkr run Crashed when its worker stopped sending heartbeats (it died).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat", "prefect.flow-run.Running"},
            expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{end}" for end in _ENDS)},
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            match_related=ResourceSpecification(
                {
                    "prefect.resource.role": "tag",
                    "prefect.resource.id": ["prefect.tag.stkkr", "prefect.tag.stkkr:*"],
                }
            ),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=silence),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {silence} s: its worker died.",
            )
        ],
    )


async def ensure_crash_automation(client: PrefectClient, missed: int = MISSED_HEARTBEATS) -> None:
    """Create the automation, or make the one of that name what `crash_automation(missed)` says."""
    automation = crash_automation(missed)
    existing = await client.read_automations_by_name(AUTOMATION_NAME)
    if existing:
        await client.update_automation(existing[0].id, automation)
    else:
        await client.create_automation(automation)
