"""Run a stkkr in this process: load, compile, start its flow with its tags, return the summary."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import tags

from stkkr_tasks.run.progress import PreviewCallback, ProgressCallback, RunHooks, use_hooks
from stkkr_tasks.run.session import run_tags
from stkkr_tasks.run.summary import RunSummary

if TYPE_CHECKING:
    from stkkr_tasks.spec import StkkrSpec


def load(path_or_spec: str | Path | StkkrSpec) -> StkkrSpec:
    """The stkkr itself: loaded from its file, or the model as given.

    Raises:
        SpecError: The file does not validate (every problem is listed).
    """
    from stkkr_tasks.spec import StkkrSpec, load_stkkr

    if isinstance(path_or_spec, StkkrSpec):
        return path_or_spec
    return load_stkkr(Path(path_or_spec))


async def arun_stkkr(
    path_or_spec: str | Path | StkkrSpec,
    dry_run: bool = False,
    *,
    on_progress: ProgressCallback | None = None,
    on_preview: PreviewCallback | None = None,
) -> RunSummary:
    """The async twin of `run_stkkr`, for callers inside an event loop; same arguments and result."""
    from flows.stkkr_flow import compile_stkkr

    spec = load(path_or_spec)
    stkkr_flow = compile_stkkr(spec)
    hooks = RunHooks(on_progress=on_progress, on_preview=on_preview)
    with use_hooks(hooks), tags(*run_tags(spec)):
        state = await stkkr_flow(dry_run=dry_run, return_state=True)
    if hooks.summary is not None:
        return hooks.summary
    # The flow crashed before it could summarise (e.g. Prefect itself failed).
    return RunSummary(
        stkkr=spec.stkkr,
        flow_run_id=str(state.state_details.flow_run_id or ""),
        state="Failed",
        message=f"The run ended {state.name} before it could summarise.",
        dry_run=dry_run,
    )


def run_stkkr(
    path_or_spec: str | Path | StkkrSpec,
    dry_run: bool = False,
    *,
    on_progress: ProgressCallback | None = None,
    on_preview: PreviewCallback | None = None,
) -> RunSummary:
    """Run a stkkr as a Prefect flow in this process and return its summary.

    Call it from synchronous code; inside an event loop use `arun_stkkr`.

    Args:
        path_or_spec: A stkkr file, or a loaded `StkkrSpec`.
        dry_run: Read, filter and transform, but write nothing and store no error records.
        on_progress: Called with the live counters (`RunCounters`) whenever they change.
        on_preview: Dry run only: called with each of the first elements that would be sent.

    Returns:
        The run's summary; `summary.state` is "Failed" when the run could not finish.

    Raises:
        SpecError: The file does not validate; nothing was sent.
        ExpressionError: An expression does not compile; nothing was sent.

    Example:
        ```python
        from stkkr_tasks import run_stkkr

        summary = run_stkkr("deployments/examples/close-projects.yaml", dry_run=True)
        print(summary.counts_text())
        ```
    """
    return asyncio.run(arun_stkkr(path_or_spec, dry_run, on_progress=on_progress, on_preview=on_preview))
