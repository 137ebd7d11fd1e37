"""Whether anything will run a deployment: a `stkkr serve` or a worker that polls it.

Prefect marks a deployment READY while a runner (`stkkr serve`) or a worker of its pool polls for its runs,
and NOT_READY a minute after the last poll. A run of a deployment nobody polls waits (Scheduled, then Late)
until someone starts one; `stkkr trigger` and `stkkr deploy` say so at once instead.
"""

from __future__ import annotations

from prefect import get_client
from prefect.client.schemas.objects import DeploymentStatus, WorkerStatus
from prefect.exceptions import ObjectNotFound
from prefect.utilities.asyncutils import run_coro_as_sync

from stkkr_tasks.names import deployment_name


async def anobody_polls(name: str) -> str | None:
    """Why nothing would run stkkr `name`'s deployment now, or None (it is polled, or it does not exist).

    Args:
        name: The stkkr name.

    Returns:
        A one-line message naming what to start, or None.
    """
    async with get_client() as client:
        try:
            deployment = await client.read_deployment_by_name(deployment_name(name))
        except ObjectNotFound:
            return None
    if deployment.status == DeploymentStatus.READY:
        return None
    pool = deployment.work_pool_name
    if pool:
        return (
            f"nothing will run stkkr {name!r}: start `stkkr serve` or a worker for pool {pool!r} "
            f"(`prefect worker start --pool {pool}`)"
        )
    return f"nothing will run stkkr {name!r}: the `stkkr serve` that served it is not running; start it again"


async def apool_has_workers(pool: str) -> bool:
    """True when at least one worker of work pool `pool` is online."""
    async with get_client() as client:
        workers = await client.read_workers_for_work_pool(pool)
    return any(worker.status == WorkerStatus.ONLINE for worker in workers)


def nobody_polls(name: str) -> str | None:
    """Synchronous :func:`anobody_polls`."""
    return run_coro_as_sync(anobody_polls(name))


def pool_has_workers(pool: str) -> bool:
    """Synchronous :func:`apool_has_workers`."""
    return run_coro_as_sync(apool_has_workers(pool))
