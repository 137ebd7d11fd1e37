"""`stkkr deploy` against the Prefect test server: deployments, schedules, tags, limits, redeploys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.schedules import SCHEDULE_TYPES, CronSchedule, IntervalSchedule

from stkkr_tasks.deploy import DeployError, deploy
from stkkr_tasks.deploy.steps import STEP

pytestmark = pytest.mark.usefixtures("prefect_server")


async def _read(name: str) -> tuple[DeploymentResponse, list[SCHEDULE_TYPES]]:
    async with get_client() as client:
        deployment = await client.read_deployment_by_name(f"{name}/{name}")
        schedules = await client.read_deployment_schedules(deployment.id)
        return deployment, [s.schedule for s in schedules]


@pytest.mark.anyio
async def test_deploy_creates_one_deployment_per_stkkr(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("dep-every", schedule={"every": "15m"}, tenant="acme")
    write_stkkr("dep-cron", schedule={"cron": "0 7 * * 1-5", "timezone": "Europe/Amsterdam"})
    write_stkkr("dep-manual")

    done = deploy(work_pool="stkkr-test")

    assert [d.name for d in done] == [
        "dep-cron/dep-cron",
        "dep-every/dep-every",
        "dep-manual/dep-manual",
        "prune-error-records/nightly",
        "dsr-deadlines/daily",
        "purge-inactive-customers/monthly",
    ]
    every, every_schedules = await _read("dep-every")
    assert every.parameters == {"stkkr": "dep-every"}
    assert every.tags == ["stkkr:dep-every", "tenant:acme"]
    assert every.description == "Test stkkr dep-every"
    assert every.global_concurrency_limit is not None and every.global_concurrency_limit.limit == 1
    assert every.concurrency_options is not None
    assert every.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    assert every.work_pool_name == "stkkr-test"
    assert every.entrypoint == "flows/stkkrs.py:dep_every"
    assert every.pull_steps == [{STEP: {"directory": str(Path("flows").resolve().parent)}}]
    assert len(every_schedules) == 1
    assert isinstance(every_schedules[0], IntervalSchedule)
    assert every_schedules[0].interval == timedelta(minutes=15)

    cron, cron_schedules = await _read("dep-cron")
    assert cron.tags == ["stkkr:dep-cron"]
    (schedule,) = cron_schedules
    assert isinstance(schedule, CronSchedule)
    assert (schedule.cron, schedule.timezone) == ("0 7 * * 1-5", "Europe/Amsterdam")

    manual, manual_schedules = await _read("dep-manual")
    assert manual_schedules == []
    assert manual.parameters == {"stkkr": "dep-manual"}

    async with get_client() as client:
        pool = await client.read_work_pool("stkkr-test")
        retention = await client.read_deployment_by_name("prune-error-records/nightly")
    assert pool.type == "process"
    assert retention.global_concurrency_limit is not None and retention.global_concurrency_limit.limit == 1


@pytest.mark.anyio
async def test_redeploy_changes_and_removes_schedules(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("dep-edit", schedule={"every": "15m"})
    deploy(retention=False)

    write_stkkr("dep-edit", schedule={"cron": "30 6 * * *", "timezone": "UTC"})
    (changed,) = deploy(retention=False)
    _, schedules = await _read("dep-edit")
    assert changed.schedule_changed
    assert len(schedules) == 1
    assert isinstance(schedules[0], CronSchedule)
    assert schedules[0].cron == "30 6 * * *"

    (unchanged,) = deploy(retention=False)
    assert not unchanged.schedule_changed

    write_stkkr("dep-edit")  # schedule removed from the file
    (removed,) = deploy(retention=False)
    _, schedules = await _read("dep-edit")
    assert removed.schedule_changed
    assert schedules == []


def test_deploy_refuses_files_outside_the_deployments_directory(
    write_stkkr: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(write_stkkr("dep-outside").read_text(), encoding="utf-8")
    write_stkkr("dep-outside").unlink()

    with pytest.raises(DeployError, match="outside the deployments directory"):
        deploy([outside], retention=False)
