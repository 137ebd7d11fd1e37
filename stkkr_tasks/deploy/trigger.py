"""`trigger`: start a stkkr's deployment now and wait for the run's summary; `start_run`: start it only.

The run is executed wherever the deployment runs (``stkkr serve`` or a worker), under the deployment's
concurrency limit: a trigger while the stkkr is running waits its turn (ENQUEUE) rather than overlapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack
from uuid import UUID

from prefect import get_client
from prefect.deployments import arun_deployment
from prefect.exceptions import ObjectNotFound
from prefect.utilities.asyncutils import run_coro_as_sync

from stkkr_tasks.deploy.history import records
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.names import deployment_name
from stkkr_tasks.run.parameters import TriggerParameters, flow_parameters
from stkkr_tasks.run.summary import RunSummary

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

DEFAULT_TIMEOUT = 3600.0
"""Seconds `trigger` waits for the run to end, by default."""


class TriggerError(StkkrError, RuntimeError):
    """A stkkr could not be triggered, or its run did not end in time (message says which)."""


async def atrigger(
    name: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    poll_interval: float = 1.0,
    **parameters: Unpack[TriggerParameters],
) -> RunSummary:
    """Start stkkr ``name``'s deployment, wait for the run to end and return its summary.

    Args:
        name: The stkkr name (its deployment is ``<name>/<name>``).
        timeout: Give up waiting after this many seconds (None: wait forever).
        poll_interval: Seconds between state checks while waiting.
        **parameters: The run's flow parameters (`TriggerParameters`): ``input`` (for a stkkr with
            ``input:``: the file its run reads, a path or fsspec URL that the worker can read; a local path
            is made absolute; only the location is a flow parameter, never rows), ``retry`` (only the rows
            with an open error record) and ``retry_since`` (with ``retry``: only records whose last failure
            is within this duration, ``7d``).

    Returns:
        The ``RunSummary`` of the run.

    Raises:
        TriggerError: No deployment for the stkkr, or the run did not end within ``timeout``
            (it keeps going; look it up with ``stkkr history``).
    """

    flow_run = await _run_deployment(
        name, timeout=timeout, poll_interval=poll_interval, parameters=flow_parameters(parameters)
    )
    if not (flow_run.state and flow_run.state.is_final()):
        raise TriggerError(
            f"stkkr {name!r}: flow run {flow_run.id} did not end within {timeout:g} s "
            f"(state {flow_run.state.name if flow_run.state else 'unknown'}); it keeps running"
        )
    async with get_client() as client:
        (record,) = await records(client, [flow_run])
    return record.summary


async def astart_run(name: str, **parameters: Unpack[TriggerParameters]) -> UUID:
    """Start stkkr ``name``'s deployment and return the new flow run's id at once (no waiting).

    The run's flow parameters (``input``, ``retry``, ``retry_since``) are as for :func:`atrigger`.

    Raises:
        TriggerError: The stkkr has no deployment.
    """
    chosen = flow_parameters(parameters)
    flow_run = await _run_deployment(name, timeout=0, poll_interval=None, parameters=chosen)
    return flow_run.id


def trigger(
    name: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    poll_interval: float = 1.0,
    **parameters: Unpack[TriggerParameters],
) -> RunSummary:
    """Synchronous :func:`atrigger`: the same arguments, result and errors.

    Example:
        ```python
        from stkkr_tasks import trigger

        summary = trigger("close-finished-projects", timeout=600)
        print(summary.state, summary.written, summary.failed)
        ```
    """

    return run_coro_as_sync(atrigger(name, timeout=timeout, poll_interval=poll_interval, **parameters))


def start_run(name: str, **parameters: Unpack[TriggerParameters]) -> UUID:
    """Synchronous :func:`astart_run`.

    Example:
        ```python
        from stkkr_tasks import start_run

        flow_run_id = start_run("close-finished-projects")
        ```
    """

    return run_coro_as_sync(astart_run(name, **parameters))


async def _run_deployment(
    name: str, *, timeout: float | None, poll_interval: float | None, parameters: dict[str, Any]
) -> FlowRun:
    """Prefect's ``arun_deployment`` (not linked as a subflow), with a missing deployment as TriggerError."""

    try:
        return await arun_deployment(
            deployment_name(name),
            parameters=parameters or None,
            timeout=timeout,
            poll_interval=poll_interval,
            as_subflow=False,
        )
    except ObjectNotFound:
        raise TriggerError(
            f"stkkr {name!r} has no deployment on this Prefect server: run `stkkr deploy` or `serve`"
        ) from None
