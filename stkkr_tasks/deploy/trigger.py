"""`trigger`: start a stkkr's deployment now and wait for the run's summary; `start_run`: start it only.

The run is executed wherever the deployment runs (``stkkr serve`` or a worker), under the deployment's
concurrency limit: a trigger while the stkkr is running waits its turn (ENQUEUE) rather than overlapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import get_client
from prefect.deployments import arun_deployment
from prefect.exceptions import ObjectNotFound
from prefect.utilities.asyncutils import run_coro_as_sync

from stkkr_tasks.deploy.history import records
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.names import deployment_name
from stkkr_tasks.run.summary import RunSummary
from stkkr_tasks.uploads import location

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
    input: str | Path | None = None,
    retry: bool = False,
    retry_since: str | None = None,
) -> RunSummary:
    """Start stkkr ``name``'s deployment, wait for the run to end and return its summary.

    Args:
        name: The stkkr name (its deployment is ``<name>/<name>``).
        timeout: Give up waiting after this many seconds (None: wait forever).
        poll_interval: Seconds between state checks while waiting.
        input: For a stkkr with ``input:``: the file its run reads, a path or fsspec URL that the worker
            can read (a local path is made absolute). Only the location is a flow parameter, never rows.
        retry: Run it as a retry (flow parameter ``retry``): only the rows with an open error record.
        retry_since: With ``retry``: only records whose last failure is within this duration (``7d``).

    Returns:
        The ``RunSummary`` of the run.

    Raises:
        TriggerError: No deployment for the stkkr, or the run did not end within ``timeout``
            (it keeps going; look it up with ``stkkr history``).
    """

    parameters = _parameters(input, retry, retry_since)
    flow_run = await _run_deployment(
        name, timeout=timeout, poll_interval=poll_interval, parameters=parameters
    )
    if not (flow_run.state and flow_run.state.is_final()):
        raise TriggerError(
            f"stkkr {name!r}: flow run {flow_run.id} did not end within {timeout:g} s "
            f"(state {flow_run.state.name if flow_run.state else 'unknown'}); it keeps running"
        )
    async with get_client() as client:
        (record,) = await records(client, [flow_run])
    return record.summary


async def astart_run(
    name: str, *, input: str | Path | None = None, retry: bool = False, retry_since: str | None = None
) -> UUID:
    """Start stkkr ``name``'s deployment and return the new flow run's id at once (no waiting).

    ``input``, ``retry`` and ``retry_since`` are as for :func:`atrigger`.

    Raises:
        TriggerError: The stkkr has no deployment.
    """
    parameters = _parameters(input, retry, retry_since)
    flow_run = await _run_deployment(name, timeout=0, poll_interval=None, parameters=parameters)
    return flow_run.id


def trigger(
    name: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    poll_interval: float = 1.0,
    input: str | Path | None = None,
    retry: bool = False,
    retry_since: str | None = None,
) -> RunSummary:
    """Synchronous :func:`atrigger`: the same arguments, result and errors.

    Example:
        ```python
        from stkkr_tasks import trigger

        summary = trigger("close-finished-projects", timeout=600)
        print(summary.state, summary.written, summary.failed)
        ```
    """

    return run_coro_as_sync(
        atrigger(
            name,
            timeout=timeout,
            poll_interval=poll_interval,
            input=input,
            retry=retry,
            retry_since=retry_since,
        )
    )


def start_run(
    name: str, *, input: str | Path | None = None, retry: bool = False, retry_since: str | None = None
) -> UUID:
    """Synchronous :func:`astart_run`.

    Example:
        ```python
        from stkkr_tasks import start_run

        flow_run_id = start_run("close-finished-projects")
        ```
    """

    return run_coro_as_sync(astart_run(name, input=input, retry=retry, retry_since=retry_since))


def _parameters(
    upload: str | Path | None = None, retry: bool = False, retry_since: str | None = None
) -> dict[str, Any] | None:
    """The flow parameters of a triggered run beyond the deployment's own (None: none)."""
    parameters: dict[str, Any] = {}
    if upload is not None:
        parameters["input"] = location(upload)
    if retry:
        parameters["retry"] = True
        if retry_since is not None:
            parameters["retry_since"] = retry_since
    return parameters or None


async def _run_deployment(
    name: str, *, timeout: float | None, poll_interval: float | None, parameters: dict[str, Any] | None
) -> FlowRun:
    """Prefect's ``arun_deployment`` (not linked as a subflow), with a missing deployment as TriggerError."""

    try:
        return await arun_deployment(
            deployment_name(name),
            parameters=parameters,
            timeout=timeout,
            poll_interval=poll_interval,
            as_subflow=False,
        )
    except ObjectNotFound:
        raise TriggerError(
            f"stkkr {name!r} has no deployment on this Prefect server: run `stkkr deploy` or `serve`"
        ) from None
