"""`stkkr serve` in a subprocess on the Prefect test server: schedules, trigger, limits, `then:`, history.

One serve process serves every stkkr of this module; the simulator runs in the test process (loopback).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import typer
import yaml
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags, LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment
from typer.testing import CliRunner

from stkkr_tasks.cli import trigger as trigger_cli
from stkkr_tasks.deploy import history, start_run, trigger
from stkkr_tasks.store import ErrorStore, NewErrorRecord, retention_cutoff
from tests.deploy.deploy_helpers import CONNECTION, eventually, start_serve, stkkr_document, stop_serve

pytestmark = pytest.mark.usefixtures("served")

ROWS = 20


def runs_of(stkkr: str) -> list[FlowRun]:
    """Flow runs tagged with the stkkr, oldest first."""
    with get_client(sync_client=True) as client:
        tagged = FlowRunFilter(tags=FlowRunFilterTags(all_=[f"stkkr:{stkkr}"]))
        runs = client.read_flow_runs(flow_run_filter=tagged)
    return sorted(runs, key=_when)


def _when(run: FlowRun) -> datetime:
    """When a run started, or is to start."""
    when = run.start_time or run.expected_start_time
    assert when is not None, f"run {run.name} has no start time"
    return when


def state(run: FlowRun) -> State:
    """The state of a run that has one."""
    assert run.state is not None, f"run {run.name} has no state"
    return run.state


def read_run(flow_run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id)


def final(flow_run_id: UUID) -> FlowRun | None:
    run = read_run(flow_run_id)
    return run if run.state and run.state.is_final() else None


def engine_finished(flow_run_id: UUID) -> bool:
    """True once the run's process logged its last line (after its state hooks ran)."""
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return any(log.message.startswith("Finished in state") for log in logs)


@pytest.fixture(scope="module")
def served(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Serve the stkkrs of this module from a temporary deployments directory until the module ends."""

    from blocks import AfasConnection
    from stkkr_tasks.simulator import Simulator

    root = tmp_path_factory.mktemp("served") / "deployments"
    root.mkdir()
    stkkrs: dict[str, dict[str, Any]] = {
        "tick": {"schedule": {"every": "2s"}},
        "counted": {},
        "overlap": {},
        "chain-head": {"then": ["chain-tail"]},
        "chain-tail": {},
        "broken-head": {"connection": "no-such-connection", "then": ["broken-tail"]},
        "broken-tail": {},
        "dry-head": {"then": ["dry-tail"]},
        "dry-tail": {},
    }
    for name, overrides in stkkrs.items():
        text = yaml.safe_dump(stkkr_document(name, **overrides))
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    simulator = Simulator(rows=ROWS, seed=1)
    asyncio.run(_add_expired_record())
    with simulator.serve() as base_url:
        AfasConnection(base_url=base_url, token=simulator.token).save(CONNECTION, overwrite=True)
        process = start_serve(root, tmp_path_factory.mktemp("prefect-home"))
        try:
            with get_client(sync_client=True) as client:
                eventually(lambda: _all_deployed(client, list(stkkrs)), "stkkr serve to register", 60)
            yield root
        finally:
            stop_serve(process)


async def _add_expired_record() -> None:
    record = NewErrorRecord("expired", None, "run", "update", "e" * 64, message="failed")
    async with ErrorStore() as store:
        await store.add_errors([record], now=datetime.now(UTC) - timedelta(days=31))


async def _expired_records() -> int:
    async with ErrorStore() as store:
        return await store.count_errors(before=retention_cutoff())


def test_serve_prunes_records_past_the_retention_period_when_it_starts() -> None:
    assert asyncio.run(_expired_records()) == 0


def _all_deployed(client: Any, names: list[str]) -> bool:
    from prefect.exceptions import ObjectNotFound

    try:
        for name in names:
            client.read_deployment_by_name(f"{name}/{name}")
    except ObjectNotFound:
        return False
    return True


@pytest.fixture(scope="module")
def started(served: Path) -> dict[str, Any]:
    """Start the runs the tests look at, all at once so they run side by side.

    The test server runs no scheduler service, so `tick`'s next two runs are scheduled here from its
    deployment schedule (what the scheduler does every few seconds); serve must run them unasked.
    Serve syncs a deployment's schedules after its last update (an update deletes the deployment's
    future auto-scheduled runs), so once `tick` has its schedule, runs scheduled from it stay.
    """
    from prefect.settings import PREFECT_API_URL

    with get_client(sync_client=True) as client:
        tick = client.read_deployment_by_name("tick/tick")
        eventually(lambda: client.read_deployment_schedules(tick.id), "serve to sync tick's schedule")
    url = f"{PREFECT_API_URL.value()}/deployments/{tick.id}/schedule"
    # The SQLite test server answers 503 while its database is locked by other writers: ask again.
    eventually(lambda: httpx.post(url, json={"max_runs": 2}).is_success, "tick to be scheduled")
    dry = run_deployment(
        "dry-head/dry-head", parameters={"dry_run": True}, timeout=0
    )  # a custom run in the UI
    assert isinstance(dry, FlowRun)
    return {
        "tick": tick.id,
        "overlap": [start_run("overlap"), start_run("overlap")],
        "chain-head": start_run("chain-head"),
        "broken-head": start_run("broken-head"),
        "dry-head": dry.id,
    }


def test_a_scheduled_stkkr_runs_by_itself_at_least_twice(started: dict[str, Any]) -> None:
    def two_completed() -> list[FlowRun]:
        done = [r for r in runs_of("tick") if r.state and r.state.is_completed()]
        return done if len(done) >= 2 else []

    runs = eventually(
        two_completed,
        "two scheduled runs of tick",
        timeout=150,  # each run is a subprocess that imports Prefect: slow on a loaded 2-core machine
        status=lambda: [(r.name, r.state_name, r.expected_start_time) for r in runs_of("tick")],
    )

    assert all(run.auto_scheduled for run in runs)
    assert all(run.deployment_id == started["tick"] for run in runs)
    assert all(str(state(run).message).startswith(f"read {ROWS},") for run in runs)


def test_trigger_waits_and_returns_the_summary_counts() -> None:
    summary = trigger("counted", timeout=120)

    assert summary.stkkr == "counted"
    assert summary.state == "Completed"
    assert (summary.read, summary.written, summary.failed) == (ROWS, ROWS, 0)
    assert read_run(UUID(summary.flow_run_id)).deployment_id is not None


def test_two_triggers_of_the_same_stkkr_never_overlap(started: dict[str, Any]) -> None:
    runs = [eventually(partial(final, i), f"run {i} to end", timeout=120) for i in started["overlap"]]

    assert all(state(run).is_completed() for run in runs)
    first, second = sorted(runs, key=_when)
    assert first.end_time is not None and second.start_time is not None
    assert first.end_time <= second.start_time


def test_then_starts_the_next_stkkr_after_success_as_a_linked_run(started: dict[str, Any]) -> None:
    head = eventually(lambda: final(started["chain-head"]), "chain-head to end", timeout=120)
    assert state(head).is_completed()

    (tail,) = eventually(lambda: runs_of("chain-tail"), "chain-tail to be started")
    assert tail.parent_task_run_id is not None
    with get_client(sync_client=True) as client:
        link = client.read_task_run(tail.parent_task_run_id)
    assert link.flow_run_id == head.id
    assert state(eventually(lambda: final(tail.id), "chain-tail to end", timeout=120)).is_completed()


def test_then_starts_nothing_after_a_failed_run(started: dict[str, Any]) -> None:
    head = eventually(lambda: final(started["broken-head"]), "broken-head to end", timeout=120)
    assert state(head).is_failed()

    eventually(lambda: engine_finished(head.id), "broken-head's process to finish")
    assert runs_of("broken-tail") == []


def test_then_starts_nothing_after_a_dry_run(started: dict[str, Any]) -> None:
    dry = eventually(lambda: final(started["dry-head"]), "the dry run of dry-head to end", timeout=120)
    assert state(dry).is_completed() and dry.parameters["dry_run"] is True
    # A real run started after the dry one ended: its then: starts dry-tail, so every run of dry-tail
    # must be linked to it (the dry run's hook, which would have run first, started none).
    real_id = start_run("dry-head")
    real = eventually(lambda: final(real_id), "a real run of dry-head to end", timeout=120)
    assert state(real).is_completed()

    (tail,) = eventually(lambda: runs_of("dry-tail"), "dry-tail to be started by the real run")
    assert tail.parent_task_run_id is not None
    with get_client(sync_client=True) as client:
        assert client.read_task_run(tail.parent_task_run_id).flow_run_id == real.id


def test_history_shows_the_runs_with_their_counts(started: dict[str, Any]) -> None:
    for flow_run_id in started["overlap"]:
        eventually(partial(final, flow_run_id), f"run {flow_run_id} to end", timeout=120)

    records = history("overlap", limit=5)
    assert {r.summary.flow_run_id for r in records} == {str(i) for i in started["overlap"]}
    assert all(r.has_counts and r.state_name == "Completed" for r in records)
    assert all((r.summary.read, r.summary.written, r.summary.failed) == (ROWS, ROWS, 0) for r in records)
    assert records[0].started and records[1].started and records[0].started >= records[1].started

    app = typer.Typer()
    trigger_cli.register(app)
    result = CliRunner().invoke(app, ["history", "overlap", "--limit", "1", "--json"])
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(result.output)
    assert listed["flow_run_id"] == records[0].summary.flow_run_id
    assert (listed["state"], listed["written"]) == ("Completed", ROWS)
