"""A stkkr's ``schedule:`` as Prefect schedules, and making a deployment's schedules match it.

``every`` becomes an interval schedule anchored at midnight UTC (so ``every: 15m`` runs at :00, :15, :30
and :45), ``cron`` + ``timezone`` a cron schedule, no schedule means manual runs only. Prefect keeps old
schedules when a deployment is re-applied without them, so :func:`sync_schedules` replaces them itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect.client.schemas.schedules import SCHEDULE_TYPES, CronSchedule, IntervalSchedule

from stkkr_tasks.spec.model import EverySchedule

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.deployments.runner import RunnerDeployment

    from stkkr_tasks.spec import StkkrSpec

Schedule = IntervalSchedule | CronSchedule
"""The Prefect schedule types a stkkr can have."""

ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
"""Anchor of interval schedules: intervals count from midnight UTC, so run times are predictable."""


def prefect_schedules(spec: StkkrSpec) -> list[Schedule]:
    """The Prefect schedules of a stkkr: one, or none for a manual-only stkkr.

    Args:
        spec: The validated stkkr.

    Returns:
        ``[IntervalSchedule]``, ``[CronSchedule]`` or ``[]``.
    """

    schedule = spec.schedule
    if schedule is None:
        return []
    if isinstance(schedule, EverySchedule):
        return [IntervalSchedule(interval=schedule.interval, anchor_date=ANCHOR, timezone="UTC")]
    return [CronSchedule(cron=schedule.cron, timezone=schedule.timezone)]


def deployment_schedules(deployment: RunnerDeployment) -> list[Schedule]:
    """The schedules a runner deployment carries (the retention flow's cron), as stkkr schedules.

    Raises:
        TypeError: One is of a kind stkkr does not create (rrule, none).
    """
    schedules = [s.schedule for s in deployment.schedules or []]
    odd = [type(s).__name__ for s in schedules if not isinstance(s, IntervalSchedule | CronSchedule)]
    if odd:
        raise TypeError(f"deployment {deployment.name!r} has schedules stkkr does not handle: {odd}")
    return [s for s in schedules if isinstance(s, IntervalSchedule | CronSchedule)]


def yaml_schedules(schedules: list[Schedule]) -> list[dict[str, Any]]:
    """Schedules in ``prefect.yaml`` form (``interval`` in seconds, or ``cron``/``timezone``).

    Args:
        schedules: Prefect schedules.

    Returns:
        One mapping per schedule.
    """
    out: list[dict[str, Any]] = []
    for schedule in schedules:
        if isinstance(schedule, IntervalSchedule):
            seconds = schedule.interval.total_seconds()
            out.append(
                {
                    "interval": int(seconds) if seconds.is_integer() else seconds,
                    "anchor_date": schedule.anchor_date.isoformat(),
                    "timezone": schedule.timezone,
                }
            )
        else:
            out.append({"cron": schedule.cron, "timezone": schedule.timezone})
    return out


def describe(schedules: list[Schedule]) -> str:
    """A short human description, e.g. ``every 900s``, ``cron 0 7 * * 1-5 (Europe/Amsterdam)``, ``manual``.

    Args:
        schedules: Prefect schedules.

    Returns:
        One line of text.
    """
    if not schedules:
        return "manual"
    parts = []
    for schedule in schedules:
        if isinstance(schedule, IntervalSchedule):
            parts.append(f"every {schedule.interval.total_seconds():g}s")
        else:
            parts.append(f"cron {schedule.cron} ({schedule.timezone})")
    return ", ".join(parts)


async def sync_schedules(client: PrefectClient, deployment_id: UUID, wanted: list[Schedule]) -> bool:
    """Make the deployment's schedules exactly ``wanted``: change, add or remove schedules as needed.

    Args:
        client: An open Prefect client.
        deployment_id: The deployment.
        wanted: The schedules it should have (empty: manual only).

    Returns:
        True when something was changed.
    """
    existing = await client.read_deployment_schedules(deployment_id)
    if all(s.active for s in existing) and [_identity(s.schedule) for s in existing] == [
        _identity(s) for s in wanted
    ]:
        return False
    for schedule in existing:
        await client.delete_deployment_schedule(deployment_id, schedule.id)
    if wanted:
        active: list[tuple[SCHEDULE_TYPES, bool]] = [(s, True) for s in wanted]
        await client.create_deployment_schedules(deployment_id, active)
    return True


def _identity(schedule: Any) -> tuple[Any, ...]:
    """What makes two schedules run at the same times."""
    if isinstance(schedule, IntervalSchedule):
        return ("interval", schedule.interval, schedule.anchor_date, schedule.timezone)
    if isinstance(schedule, CronSchedule):
        return ("cron", schedule.cron, schedule.timezone, schedule.day_or)
    return ("other", repr(schedule))
