"""One Prefect flow per stkkr file in the deployments directory, named after the stkkr.

These are the entrypoints of ``prefect.yaml`` and of ``stkkr deploy`` / ``stkkr serve``, e.g.
``flows/stkkrs.py:close_finished_projects`` (dashes become underscores). Importing the module scans
``$STKKR_DEPLOYMENTS_DIR`` (default ``./deployments``, recursively); a file that does not validate gets no
flow (``stkkr validate`` says why). Each flow takes the stkkr's name and runs the file of that name as it
is *now*, so an edited file takes effect at the next run; after a Completed run it starts the deployments
of the stkkrs in ``then:``.
"""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow
from prefect.states import Failed, State

from stkkr_tasks.deploy.chain import then_hook
from stkkr_tasks.deploy.files import find_stkkr_file, flow_attribute, valid_stkkr_files
from stkkr_tasks.spec import StkkrSpec, load_stkkr


def stkkr_deployment_flow(spec: StkkrSpec) -> Flow[..., Any]:
    """The deployment flow of a stkkr: named after it, parameter ``stkkr`` (its name), ``then:`` hook.

    Args:
        spec: The stkkr as loaded when the module was imported (name, description, ``then``).

    Returns:
        An async flow; its run ends Completed or Failed with the summary as state message.
    """
    name = spec.stkkr

    async def run_stkkr_by_name(stkkr: str = name, dry_run: bool = False) -> State:
        from flows.stkkr_flow import compile_stkkr
        from stkkr_tasks.deploy.files import StkkrFileError

        if stkkr != name:
            return Failed(message=f"This flow runs stkkr {name!r}, not {stkkr!r}.")
        try:
            current = load_stkkr(find_stkkr_file(name))
            compiled = compile_stkkr(current)
        except (StkkrFileError, ValueError) as exc:  # SpecError, ExpressionError: safe to show
            return Failed(message=f"The stkkr {name!r} cannot run: {exc}")
        return await compiled.fn(dry_run=dry_run)

    return flow(
        name=name,
        description=spec.description or f"The stkkr {name}.",
        persist_result=False,
        log_prints=False,
        on_completion=[then_hook(spec.then or [])],
    )(run_stkkr_by_name)


def _load_flows() -> dict[str, Flow[..., Any]]:
    flows: dict[str, Flow[..., Any]] = {}
    for file in valid_stkkr_files():  # a file that does not validate gets no flow
        flows.setdefault(flow_attribute(file.name), stkkr_deployment_flow(file.spec))
    return flows


globals().update(_load_flows())
