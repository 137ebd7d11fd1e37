"""Run a stkkr in this process: load, compile, start its flow with its tags, follow ``then:``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from prefect import tags

from stkkr_tasks.run.flow import compile_stkkr
from stkkr_tasks.run.progress import DEFAULT_PREVIEW, PreviewCallback, ProgressCallback, RunHooks, use_hooks
from stkkr_tasks.run.retry import retry_since as retry_since_moment
from stkkr_tasks.run.session import run_tags
from stkkr_tasks.run.summary import RunSummary
from stkkr_tasks.run.then import followers, then_chain
from stkkr_tasks.spec import StkkrSpec, load_stkkr
from stkkr_tasks.uploads import location


def load(path_or_spec: str | Path | StkkrSpec) -> StkkrSpec:
    """The stkkr itself: loaded from its file, or the model as given.

    Raises:
        SpecError: The file does not validate (every problem is listed).
    """
    if isinstance(path_or_spec, StkkrSpec):
        return path_or_spec
    return load_stkkr(Path(path_or_spec))


async def arun_stkkr(
    path_or_spec: str | Path | StkkrSpec,
    dry_run: bool = False,
    *,
    on_progress: ProgressCallback | None = None,
    on_preview: PreviewCallback | None = None,
    follow_then: bool = True,
    limit: int | None = None,
    preview: int = DEFAULT_PREVIEW,
    input: str | Path | None = None,
    retry: bool = False,
    retry_since: str | None = None,
) -> RunSummary:
    """The async twin of `run_stkkr`, for callers inside an event loop; same arguments and result."""
    spec = load(path_or_spec)
    if retry:
        retry_since_moment(retry_since)  # a wrong duration is refused before anything runs
    chain = then_chain(spec) if follow_then and not dry_run else {}
    hooks = RunHooks(on_progress=on_progress, on_preview=on_preview, preview_limit=preview)
    upload = location(input) if input is not None else None
    first = _Retry(retry, retry_since)
    return await _run_with_then(spec, dry_run, hooks, chain if follow_then else None, limit, upload, first)


async def _run_with_then(
    spec: StkkrSpec,
    dry_run: bool,
    hooks: RunHooks,
    chain: Mapping[str, StkkrSpec] | None,
    limit: int | None = None,
    upload: str | None = None,
    retry: _Retry | None = None,
) -> RunSummary:
    """Run one stkkr, then (after a Completed, real run) the stkkrs of its `then:`, depth first.

    `limit`, `upload` and `retry` are for this stkkr only; the stkkrs of its `then:` run normally, with
    their own files' `limit:` and no uploaded file.
    """
    summary = await _run_once(spec, dry_run, hooks, limit, upload, retry or _Retry())
    if not spec.then or chain is None:
        return summary
    if dry_run:
        names = ", ".join(spec.then)
        return replace(summary, message=f"{summary.message} A dry run starts no then: stkkrs ({names}).")
    if summary.state != "Completed":
        return summary
    after = [await _run_with_then(next_spec, False, hooks, chain) for next_spec in followers(spec, chain)]
    return replace(summary, then=tuple(after))


@dataclass(frozen=True, slots=True)
class _Retry:
    """Whether a run is a retry (`stkkr retry`), and how far back it looks (a duration such as ``7d``)."""

    retry: bool = False
    since: str | None = None


async def _run_once(
    spec: StkkrSpec,
    dry_run: bool,
    hooks: RunHooks,
    limit: int | None,
    upload: str | None = None,
    retry: _Retry | None = None,
) -> RunSummary:
    """Run one stkkr's flow with its tags; its summary comes back in the final state."""
    stkkr_flow = compile_stkkr(spec)
    with use_hooks(hooks), tags(*run_tags(spec)):
        retry = retry or _Retry()
        state = await stkkr_flow(
            dry_run=dry_run,
            limit=limit,
            input=upload,
            retry=retry.retry,
            retry_since=retry.since,
            return_state=True,
        )
    summary = await state.aresult(raise_on_failure=False) if state.is_final() else None
    if isinstance(summary, RunSummary):
        return summary
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
    follow_then: bool = True,
    limit: int | None = None,
    preview: int = DEFAULT_PREVIEW,
    input: str | Path | None = None,
    retry: bool = False,
    retry_since: str | None = None,
) -> RunSummary:
    """Run a stkkr as a Prefect flow in this process and return its summary.

    Call it from synchronous code; inside an event loop use `arun_stkkr`.

    Args:
        path_or_spec: A stkkr file, or a loaded `StkkrSpec`.
        dry_run: Read, filter and transform, but write nothing and store no error records.
        on_progress: Called with the run's `Counts` so far each time a task's counts are added to them.
        on_preview: Dry run only: called with each of the first elements that would be sent.
        follow_then: After a Completed run, run the stkkrs of its `then:` (found by name in the
            deployments directory) in this process, one after the other; their summaries are in
            `summary.then`. A dry run starts none and says so in its message.
        limit: Stop after this many kept rows (or groups); overrides the file's `limit:`.
        preview: Dry run only: how many elements `on_preview` is called with (default 5).
        input: For a stkkr with `input:`: the file to read, a local path or an fsspec URL. Only its
            location goes to Prefect (a flow parameter); it is read as a stream, page by page.
        retry: Process only the rows whose key fingerprint matches an open error record of this stkkr
            (`stkkr retry`): rows written now close their records, rows that fail again update theirs.
            The `filter` still applies. The run is named ``… (retry)``.
        retry_since: With `retry`: only records whose last failure is within this duration (``7d``).

    Returns:
        The run's summary; `summary.state` is "Failed" when the run could not finish.

    Raises:
        SpecError: The file does not validate; nothing was sent.
        ExpressionError: An expression does not compile; nothing was sent.
        ThenError: A stkkr of the `then:` chain is unknown, broken or makes a cycle; nothing was sent.
        RetrySinceError: `retry_since` is not a duration; nothing was sent.

    Example:
        ```python
        from stkkr_tasks import run_stkkr

        summary = run_stkkr("deployments/examples/close-projects.yaml", dry_run=True)
        print(summary.counts_text())
        ```
    """
    return asyncio.run(
        arun_stkkr(
            path_or_spec,
            dry_run,
            on_progress=on_progress,
            on_preview=on_preview,
            follow_then=follow_then,
            limit=limit,
            preview=preview,
            input=input,
            retry=retry,
            retry_since=retry_since,
        )
    )
