"""Flow run names that say what happened: ``<stkkr> <YYYY-MM-DD HH:MM>`` plus `` (dry run)`` / `` (retry)``.

Times are shown in Europe/Amsterdam (AFAS's and its customers' clock), from the run's scheduled start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from prefect.runtime import flow_run

from stkkr_tasks.spec.helpers import AMSTERDAM

TIME_FORMAT = "%Y-%m-%d %H:%M"


def local_time(moment: datetime) -> str:
    """A moment as ``YYYY-MM-DD HH:MM`` in Europe/Amsterdam."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(AMSTERDAM).strftime(TIME_FORMAT)


def run_name(stkkr: str, moment: datetime, *, dry_run: bool = False, retry: bool = False) -> str:
    """The name of a run, e.g. ``close-projects 2026-12-04 07:00 (dry run)``."""
    return f"{stkkr} {local_time(moment)}" + (" (dry run)" if dry_run else "") + (" (retry)" if retry else "")


def flow_run_namer(stkkr: str) -> Callable[[], str]:
    """A ``flow_run_name`` callable for a stkkr's flow: reads the run's time, parameters and attempt.

    A run is a retry when its `retry` parameter is set (`stkkr retry`: only rows with an open error record)
    or when Prefect runs it again (a later attempt of the same flow run).
    """

    def name() -> str:
        moment = flow_run.scheduled_start_time or datetime.now(UTC)
        parameters = flow_run.parameters
        retry = bool(parameters.get("retry")) or (flow_run.run_count or 1) > 1
        return run_name(stkkr, moment, dry_run=bool(parameters.get("dry_run")), retry=retry)

    return name
