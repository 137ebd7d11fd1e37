"""`trigger`: start a stkkr's deployment now and, by default, wait for the run's summary.

The run is executed wherever the deployment runs (``stkkr serve`` or a worker), under the deployment's
concurrency limit: a trigger while the stkkr is running waits its turn (ENQUEUE) rather than overlapping.
"""

from __future__ import annotations

import time
from uuid import UUID

from stkkr_tasks.deploy.deploy import deployment_name
from stkkr_tasks.deploy.history import records
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.run.summary import RunSummary

DEFAULT_TIMEOUT = 3600.0
"""Seconds `trigger(wait=True)` waits for the run to end, by default."""


class TriggerError(StkkrError, RuntimeError):
    """A stkkr could not be triggered, or its run did not end in time (message says which)."""


async def atrigger(
    name: str, *, wait: bool = True, timeout: float | None = DEFAULT_TIMEOUT, poll_interval: float = 1.0
) -> RunSummary | UUID:
    """Start stkkr ``name``'s deployment; return the run's summary when it ends, or its id.

    Args:
        name: The stkkr name (its deployment is ``<name>/<name>``).
        wait: Wait for the run to end and return its summary; False returns the flow run id at once.
        timeout: With ``wait``, give up after this many seconds (None: wait forever).
        poll_interval: Seconds between state checks while waiting.

    Returns:
        The ``RunSummary`` of the run (``wait=True``) or the flow run id (``wait=False``).

    Raises:
        TriggerError: No deployment for the stkkr, or the run did not end within ``timeout``
            (it keeps going; look it up with ``stkkr history``).
    """
    import anyio
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            deployment = await client.read_deployment_by_name(deployment_name(name))
        except ObjectNotFound:
            raise TriggerError(
                f"stkkr {name!r} has no deployment on this Prefect server: run `stkkr deploy` or `serve`"
            ) from None
        flow_run = await client.create_flow_run_from_deployment(deployment.id)
        if not wait:
            return flow_run.id
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (flow_run.state and flow_run.state.is_final()):
            if deadline is not None and time.monotonic() >= deadline:
                raise TriggerError(
                    f"stkkr {name!r}: flow run {flow_run.id} did not end within {timeout:g} s "
                    f"(state {flow_run.state.name if flow_run.state else 'unknown'}); it keeps running"
                )
            await anyio.sleep(poll_interval)
            flow_run = await client.read_flow_run(flow_run.id)
        (record,) = await records(client, [flow_run])
    return record.summary


def trigger(
    name: str, *, wait: bool = True, timeout: float | None = DEFAULT_TIMEOUT, poll_interval: float = 1.0
) -> RunSummary | UUID:
    """Synchronous :func:`atrigger`: the same arguments, result and errors.

    Example:
        ```python
        from stkkr_tasks import trigger

        summary = trigger("close-finished-projects", timeout=600)
        print(summary.state, summary.written, summary.failed)
        ```
    """
    from prefect.utilities.asyncutils import run_coro_as_sync

    return run_coro_as_sync(atrigger(name, wait=wait, timeout=timeout, poll_interval=poll_interval))
