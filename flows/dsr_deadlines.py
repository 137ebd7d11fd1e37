"""The daily flow `dsr-deadlines`: fails (and so alerts through Prefect) when a data-subject request is
overdue or due by tomorrow. Its state message and table artifact hold counts only, never who asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.states import State

from stkkr_tasks.run.artifacts import finish_with_counts
from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore, dsr

ARTIFACT_KEY = "dsr-deadlines"
DAILY_CRON = "0 8 * * *"
TIMEZONE = "Europe/Amsterdam"


@flow(
    name="dsr-deadlines",
    description="Fail when a data-subject request is overdue or due by tomorrow.",
    persist_result=False,
)
async def dsr_deadlines(now: datetime | None = None) -> State[dict[str, Any]]:
    """Count the open data-subject requests; fail when one is overdue or due today or tomorrow.

    Args:
        now: The current time (for tests); default: the clock.

    Returns:
        A Completed state, or a Failed one (that Prefect automations alert on), with the counts as result.
    """
    today = dsr.today_in_amsterdam(now)
    async with ErrorStore() as store:
        counts = await dsr.deadline_counts(TenantStore(store), today)
    message = (
        f"{counts['overdue']} data-subject request(s) overdue, {counts['due_by_tomorrow']} due by "
        f"{today + timedelta(days=1)}, {counts['open']} open: see `stkkr dsr list --open`"
    )
    late = bool(counts["overdue"] or counts["due_by_tomorrow"])
    return await finish_with_counts(counts, key=ARTIFACT_KEY, message=message, column="requests", failed=late)


def dsr_deadlines_deployment() -> RunnerDeployment:
    """The daily deployment of `dsr-deadlines`: 08:00 Europe/Amsterdam, one run at a time."""
    return RunnerDeployment.from_flow(
        dsr_deadlines,
        name="daily",
        schedules=[Cron(DAILY_CRON, timezone=TIMEZONE)],
        concurrency_limit=1,
        tags=["stkkr", "privacy"],
        description="Daily check that every data-subject request is answered within 5 working days.",
    )
