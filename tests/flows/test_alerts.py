"""Alerts end to end: a real Prefect server with its trigger services, automations from `alerts:`, the event
`stkkr.run.finished`, and a loopback webhook behind a Custom Webhook notification block."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from prefect import get_client
from prefect.events.schemas.events import Resource

from stkkr_tasks.cli.notify import notification_block
from stkkr_tasks.deploy.alerts import AlertBlockError, plan_alerts, sync_alerts
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.run.events import EVENT, finished_event
from stkkr_tasks.run.summary import RunSummary
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, MakeSpec
from tests.flows.receiver import Receiver, receiving

pytestmark = pytest.mark.usefixtures("prefect_server")

WITHIN = 60.0
"""A notification arrives within a minute (the issue's promise)."""

# ViAg only allows AFK, ANS, EHP, REG: rows that are not chargeable fail (failed rows, run Completed).
PROJECTS = """
stkkr: {name}
tenant: initech
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 100}}
filter: "{filter}"
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    PrSt: Afgesloten
    ViAg: "{{{{ 'AFK' if row.Chargeable else 'XXX' }}}}"
update: {{connector: PtProject, action: update}}
alerts:
  - when: failed
    notify: [{block}]
  - when: {{failed_rows: 5}}
    notify: [{block}]
  - when: {{failed_rows: 1000}}
    notify: [{block}]
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@pytest.fixture
def webhook_block(receiver: Receiver) -> str:
    name = f"hook-{uuid.uuid4().hex[:8]}"
    notification_block(webhook=receiver.url).save(name)
    return name


def _sync(spec: Any) -> Any:
    async def go() -> Any:
        async with get_client() as client:
            ((stkkr, wanted),) = await plan_alerts(client, [spec])
            return await sync_alerts(client, stkkr, wanted)

    return asyncio.run(go())


def _automations(stkkr: str) -> list[Any]:
    async def go() -> list[Any]:
        async with get_client() as client:
            return [a for a in await client.read_automations() if f"stkkr:{stkkr}" in a.tags]

    return asyncio.run(go())


def test_failed_runs_and_failed_rows_notify_once_passing_runs_never(
    simulator: Simulator,
    connect: Connect,
    make_spec: MakeSpec,
    stkkr_name: str,
    receiver: Receiver,
    webhook_block: str,
) -> None:
    connection = connect(simulator)
    spec = make_spec(PROJECTS, connection, block=webhook_block, filter="row.Chargeable")
    synced = _sync(spec)
    assert len(synced.created) == 3 and not synced.removed

    passing = run_stkkr(spec)
    assert passing.ok and passing.written > 0
    broken = make_spec(
        PROJECTS, connect(simulator, token="wrong"), block=webhook_block, filter="row.Chargeable"
    )
    failed = run_stkkr(broken)
    assert failed.state == "Failed"

    (first,) = receiver.wait_for(1, WITHIN)  # the passing run came first: had it notified, it would be here
    assert f"stkkr {stkkr_name} (tenant initech)" in first["subject"] and "Failed" in first["subject"]
    assert "ended Failed: read 0," in first["body"] and "failed 0" in first["body"]

    with_failed_rows = run_stkkr(make_spec(PROJECTS, connection, block=webhook_block, filter="True"))
    assert with_failed_rows.state == "Completed" and 5 <= with_failed_rows.failed < 1000
    bodies = receiver.wait_for(2, WITHIN)
    second = bodies[1]
    assert f"{with_failed_rows.failed} failed rows" in second["subject"]
    assert (
        f"read {with_failed_rows.read}," in second["body"]
        and f"failed {with_failed_rows.failed}" in second["body"]
    )
    assert (
        "tenant initech" in second["body"] and "completed with failed rows (alert from 5)" in second["body"]
    )

    run_stkkr(
        spec
    )  # passes again; then one more failing run proves the queue moved on without a notification
    run_stkkr(broken)
    assert len(receiver.wait_for(3, WITHIN)) == 3
    text = repr(receiver.bodies)
    assert simulator.token not in text
    row_values = {v for row in simulator.rows("Profit_Projects") for v in row.values() if isinstance(v, str)}
    meta_free = re.sub(r"[0-9a-fA-F]{12,}|[0-9a-fA-F-]{36}", "", text)  # run ids: random hex may hold a value
    assert [v for v in row_values if len(v) >= 6 and v in meta_free] == []


def test_deploy_updates_and_removes_automations_to_match_the_file(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str, webhook_block: str
) -> None:
    spec = make_spec(PROJECTS, connect(simulator), block=webhook_block, filter="True")
    _sync(spec)
    first = {a.name: a for a in _automations(stkkr_name)}
    assert sorted(first) == [
        f"stkkr {stkkr_name}: {slug}" for slug in ("failed", "failed-rows-1000", "failed-rows-5")
    ]
    trigger = first[f"stkkr {stkkr_name}: failed-rows-5"].trigger
    assert trigger.match.model_dump()["failed_rows_alert"] == ["5", "1000"]

    assert not _sync(spec).changed, "a second deploy of the same file changes nothing"
    fewer = spec.model_copy(update={"alerts": spec.alerts[1:2]})
    result = _sync(fewer)
    assert sorted(result.removed) == [f"stkkr {stkkr_name}: failed", f"stkkr {stkkr_name}: failed-rows-1000"]
    (left,) = _automations(stkkr_name)
    assert left.trigger.match.model_dump()["failed_rows_alert"] == ["5"], "the threshold list was updated"
    assert result.updated == (f"stkkr {stkkr_name}: failed-rows-5",)
    assert _sync(spec.model_copy(update={"alerts": []})).removed == (left.name,)
    assert _automations(stkkr_name) == []


def test_a_missing_notification_block_is_refused_before_anything_changes(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    spec = make_spec(PROJECTS, connect(simulator), block="no-such-block", filter="True")
    with pytest.raises(AlertBlockError, match="no notification block called 'no-such-block'"):
        _sync(spec)
    assert _automations(stkkr_name) == []


def test_the_event_carries_counts_only(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    spec = make_spec(PROJECTS, connect(simulator), block="x", filter="True")
    summary = RunSummary(
        stkkr=stkkr_name, flow_run_id="abc", state="Completed", read=200, failed=7, written=193
    )
    event = finished_event(spec, summary)
    assert event["event"] == EVENT
    assert event["resource"] == {
        "prefect.resource.id": f"stkkr.{stkkr_name}",
        "prefect.resource.name": stkkr_name,
        "tenant": "initech",
        "state": "Completed",
        "dry_run": "false",
        "failed_rows_alert": "5",
    }
    assert set(event["payload"]) <= {
        "read",
        "filtered_out",
        "skipped",
        "written",
        "would_write",
        "failed",
        "not_attempted",
        "responded",
        "respond_failed",
        "duration_s",
    }
    assert all(isinstance(value, int | float) for value in event["payload"].values())


# A scheduled stkkr that expects a Completed run every 10 s (Prefect's shortest window for a proactive
# trigger); none comes, so the trigger fires.
QUIET = """
stkkr: {name}
tenant: initech
connection: {connection}
schedule: {{every: 1h}}
get: {{connector: Profit_Projects, order_by: [ProjectId]}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{PrSt: Afgesloten}}
update: {{connector: PtProject, action: update}}
alerts:
  - when: {{no_success_for: 10s}}
    notify: [{block}]
"""


def test_no_success_for_fires_when_no_completed_run_comes_within_the_period(
    simulator: Simulator,
    connect: Connect,
    make_spec: MakeSpec,
    stkkr_name: str,
    receiver: Receiver,
    webhook_block: str,
) -> None:
    spec = make_spec(QUIET, connect(simulator), block=webhook_block)
    assert _sync(spec).created == (f"stkkr {stkkr_name}: no-success-for-10s",)
    try:
        (made,) = _automations(stkkr_name)
        trigger = made.trigger
        assert (trigger.posture, trigger.within.total_seconds(), trigger.threshold) == ("Proactive", 10, 1)
        completed = RunSummary(stkkr=stkkr_name, flow_run_id="abc", state="Completed", read=3, written=3)
        event = finished_event(spec, completed)
        assert trigger.expect == {event["event"]}
        assert trigger.match.matches(Resource(event["resource"])), "a Completed run is what it waits for"
        failed = finished_event(spec, RunSummary(stkkr=stkkr_name, flow_run_id="abc", state="Failed"))
        assert not trigger.match.matches(Resource(failed["resource"])), "a Failed run does not count"

        body = receiver.wait_for(1, WITHIN)[0]  # it fires again every 10 s until removed
        assert f"stkkr {stkkr_name} (tenant initech): no successful run for 10s" in body["subject"]
        assert "has had no Completed run for 10s" in body["body"]
    finally:
        _sync(spec.model_copy(update={"alerts": []}))  # it would fire every 10 s for the rest of the session
    assert _automations(stkkr_name) == []
