"""One limit per AFAS environment across every process: a Prefect global concurrency limit, taken per run.

The client's limiter keeps one process within `max_concurrency`; this keeps all of them together within it.
A run holds all `max_concurrency` slots of its environment's limit from before its first AFAS request until
it ends, under a lease that Prefect renews while the run lives. Taken per run, the slots cost a few server
round trips (read the limit, take, renew every 45 s, give back) whatever the run's size; per request they
would cost one a row. Runs against one environment therefore take turns; a run alone is as fast as before.
When a worker dies, its lease ends (`LEASE_SECONDS`) and the server's repossessor gives the slots back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from uuid import UUID

import httpx
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError, concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

__all__ = ["LEASE_SECONDS", "environment_slots", "limit_name"]

LEASE_SECONDS = 60.0
"""How long a lease lasts unless renewed (Prefect's minimum): a dead worker's slots return within it."""

RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
_UNREACHABLE = (ConcurrencySlotAcquisitionError, ObjectAlreadyExists, httpx.HTTPError, OSError)


def limit_name(environment: str) -> str:
    """The global concurrency limit of an environment scope (`afas:<number>:<type>` or `url:<base URL>`).

    Prefect refuses `/` in names, so a base URL's slashes become colons.

    Example:
        >>> limit_name("url:http://127.0.0.1:8000/ProfitRestServices")
        'stkkr-url:http:127.0.0.1:8000:ProfitRestServices'
    """
    return "stkkr-" + environment.replace("://", ":").replace("/", ":")


@asynccontextmanager
async def environment_slots(
    environment: str,
    slots: int,
    *,
    flow_run_id: str | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> AsyncIterator[str]:
    """Hold `slots` slots of the environment's limit (created or set to `slots`) while the block runs.

    Args:
        environment: The environment scope (`stkkr_tasks.afas.environment.environment_scope`).
        slots: The connection's `max_concurrency`: the limit, and the slots this run takes.
        flow_run_id: Shown as the lease's holder (in `prefect gcl inspect`).
        on_wait: Told with a safe message when the run waits: once when other runs hold the slots, once
            when the server cannot be reached.

    Yields:
        The limit's name.

    The wait for free slots has no end of its own: the run starts when the runs before it are done. While
    the Prefect server cannot be reached the run waits too, retrying with backoff, and sends nothing.
    """
    name = limit_name(environment)
    holder = ConcurrencyLeaseHolder(type="flow_run", id=UUID(flow_run_id)) if flow_run_id else None
    told: set[str] = set()

    def tell(reason: str, message: str) -> None:
        if reason not in told:
            told.add(reason)
            if on_wait is not None:
                on_wait(message)

    async with AsyncExitStack() as stack:
        delay = RETRY_FIRST_S
        while True:
            try:
                if await _ensure_limit(name, slots):
                    tell("busy", f"The slots of {name!r} are taken by other runs; this run waits for them.")
                lease = concurrency(name, slots, lease_duration=LEASE_SECONDS, strict=True, holder=holder)
                await stack.enter_async_context(lease)
                break
            except _UNREACHABLE as exc:
                tell("unreachable", _unreachable(name, exc))
            await asyncio.sleep(delay)  # backoff between attempts, not synchronisation
            delay = min(delay * 2, RETRY_MAX_S)
        yield name


def _unreachable(name: str, exc: BaseException) -> str:
    return (
        f"The Prefect server's concurrency limit {name!r} cannot be reached ({type(exc).__name__}); "
        "the run waits and retries before it sends anything to AFAS."
    )


async def _ensure_limit(name: str, slots: int) -> bool:
    """Create the limit, or set it to `slots` (the connection block is the source of the number).

    Returns:
        Whether other runs hold slots now, so that this run will wait for them.
    """
    async with get_client() as client:
        try:
            limit = await client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            await client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=slots))
            return False
        if limit.limit != slots:
            await client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=slots))
        return limit.active_slots > 0
