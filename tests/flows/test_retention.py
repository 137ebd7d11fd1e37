"""The retention flow `prune-error-records` and its nightly deployment, on the Prefect test server."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from prefect import flow, get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowFilter,
    FlowFilterName,
)
from prefect.client.schemas.schedules import CronSchedule

from flows.retention import (
    ARTIFACT_KEY,
    RetentionCounts,
    arun_retention,
    prune_error_records,
    retention_deployment,
)
from stkkr_tasks.store import ErrorStore, NewErrorRecord, RetentionPeriodError

pytestmark = pytest.mark.anyio

NOW = datetime(2025, 6, 30, 3, 0, tzinfo=UTC)


async def _prune(**options: Any) -> RetentionCounts:
    """Run the flow and return its counts (Prefect hands back the result of the State the flow returns)."""
    return cast(RetentionCounts, await prune_error_records(**options))


@pytest.fixture
async def store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> AsyncIterator[ErrorStore]:
    """The stkkr database the flow uses (STKKR_DATABASE_URL), with records aged 29 and 31 days."""
    url = f"sqlite:///{tmp_path / 'stkkr.db'}"
    monkeypatch.setenv("STKKR_DATABASE_URL", url)
    async with ErrorStore(url) as store:
        for days in (29, 31, 31):
            record = NewErrorRecord("s", None, "run", "update", "f" * 64, 500, None, None, "failed")
            await store.add_errors([record], now=NOW - timedelta(days=days))
        yield store


async def test_prunes_older_records_and_reports_counts_only(store: ErrorStore) -> None:
    state = await prune_error_records(now=NOW, batch_size=1, return_state=True)
    assert state.is_completed()
    assert state.message == "Deleted 2 error records older than 30 days"
    counts = cast(RetentionCounts, await state.aresult())
    assert counts == {
        "error_records": 2,
        "run_once_keys": 0,
        "failure_artifacts": 0,
        "flow_runs": None,
        "dry_run": False,
        "days": 30,
        "cutoff": "2025-05-31T03:00:00+00:00",
    }
    assert await store.count_errors() == 1
    async with get_client() as client:
        (artifact,) = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[ARTIFACT_KEY]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )
    assert artifact.type == "table"
    assert "error records" in str(artifact.data) and "2" in str(artifact.data)
    assert await _prune(now=NOW) == {**counts, "error_records": 0}  # safe to run twice


async def test_arun_retention_returns_the_counts_it_declares(store: ErrorStore) -> None:
    counts = await arun_retention(days=30, dry_run=True)  # on the clock: every record is years old

    assert (counts["error_records"], counts["flow_runs"], counts["dry_run"], counts["days"]) == (
        3,
        None,
        True,
        30,
    )
    assert datetime.fromisoformat(counts["cutoff"]) < datetime.now(UTC)
    with pytest.raises(RetentionPeriodError):
        await arun_retention(days=31)


async def test_prunes_run_once_keys_of_stkkrs_that_no_longer_exist(store: ErrorStore) -> None:
    deployed, gone = f"kept-{secrets.token_hex(4)}", f"gone-{secrets.token_hex(4)}"

    @flow(name=deployed)
    async def still_deployed() -> None:
        """A stkkr with a deployment: its keys stay however long ago it ran."""

    await (await still_deployed.ato_deployment(name="d")).aapply()
    for name in (deployed, gone):
        keys = store.run_once(name, "afas:1:test")
        await keys.start_run(now=NOW - timedelta(days=31))
        await keys.apply(flow_run_id="r", reserve=["a"])

    counts = await _prune(now=NOW)

    assert counts["run_once_keys"] == 1
    assert await store.run_once(gone, "afas:1:test").states(["a"]) == {}
    assert await store.run_once(deployed, "afas:1:test").states(["a"])


async def test_errors_past_the_period_are_hidden_before_the_prune_and_a_shorter_one_is_kept(
    store: ErrorStore,
) -> None:
    assert len(await store.list_errors(now=NOW)) == 1, "31 days old: hidden although not pruned yet"
    await prune_error_records(now=NOW, days=7)
    assert await store.retention_days() == 7
    assert await store.list_errors(now=NOW) == []


async def test_dry_run_only_counts(store: ErrorStore) -> None:
    counts = await _prune(now=NOW, days=30, dry_run=True)
    assert counts["error_records"] == 2 and counts["dry_run"] is True
    assert await store.count_errors() == 3


async def test_a_period_over_30_days_fails_the_run_with_a_clear_message(store: ErrorStore) -> None:
    state = await prune_error_records(days=45, now=NOW, return_state=True)
    assert state.is_failed()
    assert "45 days is refused" in str(state.message) and "at most 30 days" in str(state.message)
    with pytest.raises(RetentionPeriodError):
        await state.aresult()
    assert await store.count_errors() == 3


async def test_optionally_prunes_prefect_flow_runs(store: ErrorStore) -> None:
    name = f"retention-probe-{secrets.token_hex(4)}"

    @flow(name=name)
    async def probe() -> None:
        """A finished flow run to prune."""

    await probe()
    await probe()
    later = datetime.now(UTC) + timedelta(days=5)
    options = {"prefect_history_days": 1, "prefect_history_flows": [name], "now": later, "days": 30}
    assert (await _prune(dry_run=True, **options))["flow_runs"] == 2
    assert (await _prune(**options))["flow_runs"] == 2
    async with get_client() as client:
        runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))
    assert runs == []


async def test_nightly_deployment_runs_at_3_in_amsterdam_one_at_a_time(prefect_server: None) -> None:
    deployment = retention_deployment(days=14)
    deployment_id = await deployment.aapply()
    async with get_client() as client:
        stored = await client.read_deployment(deployment_id)
    assert stored.name == "nightly"
    (schedule,) = stored.schedules
    assert isinstance(schedule.schedule, CronSchedule)
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 3 * * *", "Europe/Amsterdam")
    assert schedule.active
    assert stored.global_concurrency_limit is not None and stored.global_concurrency_limit.limit == 1
    assert stored.parameters == {"days": 14}
    assert stored.entrypoint is not None and stored.entrypoint.endswith(
        "flows/retention.py:prune_error_records"
    )


def test_nightly_deployment_refuses_a_period_over_30_days() -> None:
    with pytest.raises(RetentionPeriodError, match="31 days is refused"):
        retention_deployment(days=31)
