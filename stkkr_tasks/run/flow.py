"""Compile a stkkr into its Prefect flow: the one flow shape of a stkkr, run in-process or deployed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, cast

from prefect import Flow, flow
from prefect.states import Failed, State

from stkkr_tasks.run.naming import flow_run_namer
from stkkr_tasks.run.parameters import RunParameters, flow_signature
from stkkr_tasks.run.pipeline import execute_stkkr
from stkkr_tasks.run.retry import RetrySinceError
from stkkr_tasks.run.retry import retry_since as retry_since_moment
from stkkr_tasks.spec import compile_spec

if TYPE_CHECKING:
    from prefect.flows import FlowStateHook

    from stkkr_tasks.spec import StkkrSpec

#: A stkkr's flow: awaiting a call gives its final state.
StkkrFlow = Flow[..., Coroutine[Any, Any, State]]
#: What a stkkr's flow does with a run's parameters (`stkkr_flow`).
FlowBody = Callable[[RunParameters], Awaitable[State]]


def compile_stkkr(spec: StkkrSpec, *, on_completion: Sequence[FlowStateHook[..., Any]] = ()) -> StkkrFlow:
    """Compile a stkkr into an async Prefect flow named after it.

    Expressions are compiled here, once; a broken expression fails now, before anything runs. The flow's
    parameters are `stkkr` (its own name, which deployments pass) and those of `RunParameters`: `dry_run`,
    `limit` (which overrides the file's `limit:`), `input` (for a stkkr with `input:`: the path or fsspec
    URL of the uploaded file, never its rows), `retry` (process only the rows with an open error record,
    `stkkr retry`) and `retry_since` (with `retry`: only records whose last failure is within this
    duration, e.g. ``7d``). A `retry_since` that is not a duration ends the run Failed before anything is
    read. Start it through `run_stkkr` (which adds the run tags and follows `then:`), or call it directly:
    the flow adds `stkkr:<name>` and `tenant:<tenant>` to its run when they are missing.

    Args:
        spec: The loaded stkkr.
        on_completion: Prefect hooks run when the flow run ends Completed (a deployment's `then:`).

    Returns:
        The flow; its final state carries the `RunSummary` (`await state.aresult(raise_on_failure=False)`).

    Raises:
        ExpressionError: An expression of the stkkr does not compile.

    Example:
        ```python
        from stkkr_tasks.run import compile_stkkr
        from stkkr_tasks.spec import load_stkkr

        close_projects = compile_stkkr(load_stkkr("deployments/examples/close-projects.yaml"))
        ```
    """
    compiled = compile_spec(spec)

    async def run(parameters: RunParameters) -> State:
        retry = bool(parameters.get("retry"))
        try:
            since = retry_since_moment(parameters.get("retry_since")) if retry else None
        except RetrySinceError as exc:
            return Failed(message=f"{exc}; nothing was read.")
        upload = parameters.get("input")
        return await execute_stkkr(
            spec,
            compiled,
            bool(parameters.get("dry_run")),
            parameters.get("limit") or spec.limit,
            upload=None if upload is None else str(upload),
            retry=retry,
            retry_since=since,
        )

    return stkkr_flow(
        spec.stkkr,
        run,
        flow_run_name=flow_run_namer(spec.stkkr),
        description=spec.description or f"The stkkr {spec.stkkr}.",
        validate_parameters=True,
        on_completion=list(on_completion),
    )


def stkkr_flow(name: str, body: FlowBody, **options: Any) -> StkkrFlow:
    """The flow of stkkr ``name``: it takes `stkkr` and the `RunParameters`, and ``body`` runs it.

    Every flow of a stkkr is made here, so its deployment's parameters are the same whichever flow runs
    (its own, or the one that says why its file does not load). A run whose `stkkr` parameter names another
    stkkr ends Failed without running ``body``.

    Args:
        name: The stkkr's name (the flow's name, and the default of its `stkkr` parameter).
        body: Runs the flow run, given the parameters the run was given (those left off may be missing).
        **options: Prefect's `flow(...)` options besides its name (`persist_result` is off).
    """

    async def run_stkkr_flow(stkkr: str = name, **parameters: Any) -> State:
        if stkkr != name:
            return Failed(message=f"This flow runs stkkr {name!r}, not {stkkr!r}.")
        return await body(cast("RunParameters", parameters))

    # Prefect reads a flow's parameters from its signature: these are `RunParameters`' keys.
    run_stkkr_flow.__dict__["__signature__"] = flow_signature(name)
    return flow(name=name, persist_result=False, log_prints=False, **options)(run_stkkr_flow)
