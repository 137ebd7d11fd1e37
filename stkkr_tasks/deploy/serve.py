"""`stkkr serve`: every stkkr deployment (and the retention flow) in one long-lived process.

The single-machine alternative to a work pool with workers: Prefect's ``serve`` registers the same
deployments as ``stkkr deploy`` (schedules, tags, concurrency limit 1, ENQUEUE) without a work pool and
runs each flow run in a subprocess. Stopping the process (Ctrl-C, SIGTERM) pauses the schedules.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import anyio
from prefect import get_client
from prefect.logging import get_logger
from prefect.runner import Runner

from stkkr_tasks.deploy.alerts import plan_alerts, sync_alerts
from stkkr_tasks.deploy.deploy import apply, build_deployments
from stkkr_tasks.deploy.retention import prune_stkkr_database
from stkkr_tasks.spec.files import DEPLOYMENTS_DIR_ENV, deployments_dir, load_stkkr_files


async def aserve(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    retention: bool = True,
    limit: int | None = None,
) -> None:
    """Register the deployments of the stkkr files under ``paths`` and run them until stopped.

    Args:
        paths: Stkkr files or directories inside the deployments directory; default all of it.
        retention: Also serve the nightly retention flow (the stkkr database is pruned once at the start
            either way).
        limit: At most this many flow runs at the same time (None: no limit besides one per stkkr).

    Raises:
        stkkr_tasks.spec.SpecError: A file does not validate, or a ``then:`` names no stkkr or makes a cycle.
        stkkr_tasks.deploy.DeployError: A file lies outside the deployments directory.
        stkkr_tasks.deploy.alerts.AlertBlockError: An alert names a notification block that does not exist.
    """
    # lazy: Prefect's runner (about 30 modules) loads only to serve

    # Flow runs start in the project directory: make the deployments directory independent of it.
    os.environ[DEPLOYMENTS_DIR_ENV] = str(deployments_dir())
    files = load_stkkr_files(paths)
    built = build_deployments(files, work_pool=None, retention=retention)
    await _prune_now()  # also with --no-retention: the 30-day promise does not depend on the schedule
    # What `prefect.aserve` does, except that each deployment is applied once, by the runner, before its
    # schedules are synced: a second apply would delete the runs already scheduled from them.
    runner = Runner(pause_on_shutdown=True, limit=limit)
    async with get_client() as client:
        alerts = await plan_alerts(client, [file.spec for file in files])
        for deployment, wanted in built:
            await apply(client, deployment, wanted, runner=runner)
        for stkkr, automations in alerts:
            await sync_alerts(client, stkkr, automations)
    names = ", ".join(deployment.name for deployment, _ in built)
    get_logger("stkkr.serve").info("Serving %s; polling for scheduled runs.", names)
    await runner.start()


async def _prune_now() -> None:
    """Prune the stkkr database before serving, so records past 30 days go even when 03:00 was missed."""

    logger = get_logger("stkkr.serve")
    try:
        counts = await prune_stkkr_database()
    except Exception as exc:  # serving matters more; the nightly run prunes again
        logger.warning("Could not prune the stkkr database at start (%s).", type(exc).__name__)
        return
    logger.info("Pruned %d error records older than the retention period.", counts.error_records)


def serve(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    retention: bool = True,
    limit: int | None = None,
) -> None:
    """Synchronous :func:`aserve`: the same arguments; blocks until the process is stopped."""

    anyio.run(lambda: aserve(paths, retention=retention, limit=limit))
