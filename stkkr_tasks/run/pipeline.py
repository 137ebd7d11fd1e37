"""The body of every stkkr flow: per page get → filter → transform → update, pages overlapping.

The stkkr itself is baked into its compiled flow, and the connection is loaded by name at run time. Rows
never become parameters, results, logs or artifacts. The body never lets an exception reach Prefect (Prefect
would pickle it into result storage): it ends with an explicit Completed or Failed state whose message holds
counts and a safe reason only, and whose data is the `RunSummary`. Each task returns the counts of its page;
the body adds them up (nothing else counts rows).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prefect import get_client, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.context import FlowRunContext, TagsContext
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from stkkr_tasks.run.after import after_run
from stkkr_tasks.run.predecessors import crash_dead_predecessors
from stkkr_tasks.run.progress import ProgressCallback, RunHooks, current_hooks
from stkkr_tasks.run.retry import retry_text
from stkkr_tasks.run.session import StkkrMismatch, abort_message, open_run, run_tags
from stkkr_tasks.run.summary import RunSummary
from stkkr_tasks.tasks import (
    Counts,
    Failure,
    RetryOutcome,
    RunAborted,
    RunContext,
    WriteItem,
    filter_rows,
    get_page,
    transform_rows,
    update_records,
)
from stkkr_tasks.uploads import UploadError, delete_upload

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

    from stkkr_tasks.spec import CompiledStkkr, StkkrSpec

#: Pages held in memory at once: the one being written and the one read ahead.
PAGES_IN_MEMORY = 2
#: Pages set aside besides: each waits only for the search of a refused batch's elements (`update.batch`),
#: so it gives its place to the next page while the search goes on.
PAGES_ASIDE = 2


class _Tally:
    """The run's counts so far: the flow body adds each task's counts here, and only here."""

    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self.total = Counts()
        self._on_progress = on_progress

    def add(self, counts: Counts) -> None:
        """Add one task's counts and tell the progress hook, if any."""
        self.total += counts
        if self._on_progress is not None:
            self._on_progress(self.total)


async def execute_stkkr(
    spec: StkkrSpec,
    compiled: CompiledStkkr,
    dry_run: bool,
    limit: int | None = None,
    upload: str | None = None,
    *,
    retry: bool = False,
    retry_since: datetime | None = None,
) -> State:
    """Run a stkkr inside its flow run: open, pipeline, summarise; every exception becomes a clean state.

    Args:
        spec: The stkkr.
        compiled: Its compiled expressions.
        dry_run: Read, filter and transform only.
        limit: Stop after this many kept rows (or groups); None for no bound.
        upload: The file a stkkr with `input:` reads (a path or fsspec URL); deleted after a completed,
            real run when the stkkr says `input_delete: true`.
        retry: Process only the rows with an open error record, then settle their records.
        retry_since: With `retry`: only records whose last failure is at or after this moment.

    Returns:
        Completed or Failed, with the summary's message and the `RunSummary` as data.
    """
    started = time.monotonic()
    hooks = current_hooks()
    flow_run = _current_flow_run()
    await _ensure_tags(flow_run, run_tags(spec))
    await crash_dead_predecessors(flow_run)
    tally = _Tally(hooks.on_progress)
    reason: str | None = None
    problems: tuple[str, ...] = ()
    retried: RetryOutcome | None = None
    try:
        async with open_run(
            spec,
            compiled,
            flow_run_id=str(flow_run.id),
            dry_run=dry_run,
            limit=limit,
            on_warning=get_run_logger().warning,
            upload=upload,
            retry=retry,
            retry_since=retry_since,
            work_pool=flow_run.work_pool_name,
        ) as ctx:
            # The run's tags stay on the flow run. Task runs get none: for a tagged task run Prefect asks the
            # server for tag concurrency slots first, and that round trip stalled the pipeline for a second
            # whenever the server was busy (bench/RESULTS.md, 2026-11-26).
            with TagsContext(current_tags=set()):
                if ctx.retry is None or ctx.retry.has_open:  # a retry without open records reads nothing
                    await _pipeline(ctx, hooks, tally)
            if ctx.dry_run:
                _preview_failures(hooks, ctx.recorder.queued())
            try:
                await ctx.recorder.flush()
                retried = await _settle_retry(ctx)
            except Exception as exc:
                ctx.stop.set(
                    f"Writing error records to the stkkr database failed ({type(exc).__name__}).", fatal=True
                )
            reason = ctx.stop.reason
    except StkkrMismatch as exc:
        problems = exc.problems
        reason = f"The stkkr does not fit the AFAS environment; nothing was sent: {'; '.join(problems)}"
    except Exception as exc:
        reason = abort_message(exc)
    summary = _summarise(
        spec.stkkr,
        str(flow_run.id),
        tally.total,
        reason,
        problems,
        dry_run,
        time.monotonic() - started,
        limit,
        retried,
    )
    if upload is not None and spec.input_delete and summary.state == "Completed" and not dry_run:
        summary = await _delete_upload(summary, upload)
    # Independent round trips to the Prefect API (artifacts, event, overview): made side by side.
    await asyncio.gather(_publish(summary), after_run(spec, summary))
    if summary.state == "Completed":
        return Completed(message=summary.message, data=summary)
    return Failed(message=summary.message, data=summary)


async def _settle_retry(ctx: RunContext) -> RetryOutcome | None:
    """In a retry: close the records of the rows written or filtered out now (a dry run closes none)."""
    if ctx.retry is None:
        return None
    if ctx.dry_run:
        return ctx.retry.outcome()
    return await ctx.retry.settle(ctx.recorder.failed_keys)


def _current_flow_run() -> FlowRun:
    """The flow run this code runs in (a stkkr flow's body runs only inside one)."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("a stkkr flow's body runs only inside a Prefect flow run")
    return context.flow_run


async def _pipeline(ctx: RunContext, hooks: RunHooks, tally: _Tally) -> None:
    """Read page after page; each page is written while the next one is read, filtered and transformed.

    At most `PAGES_IN_MEMORY` pages are held at once, plus up to `PAGES_ASIDE` pages that only search the
    refused elements of a batch; the writes of consecutive pages overlap, so the client's 8 slots stay busy
    across page boundaries.
    """
    slots = asyncio.Semaphore(PAGES_IN_MEMORY)
    aside = _Aside(slots)
    previewed = 0
    async with asyncio.TaskGroup() as writers:
        while True:
            await slots.acquire()
            items = await _prepare_page(ctx, tally) if not ctx.reading_done else None
            if items is None:
                slots.release()
                return
            if ctx.dry_run:
                tally.add(Counts(would_write=sum(item.size for item in items)))
                previewed = _preview(ctx, hooks, items, previewed)
                slots.release()
                continue
            writers.create_task(_write_page(ctx, items, aside, tally))
            del items  # the writer owns the page now: at most PAGES_IN_MEMORY pages are held


async def _prepare_page(ctx: RunContext, tally: _Tally) -> list[WriteItem] | None:
    """Get, filter and transform the next page; None when there are no more pages or the run must stop.

    After the last page, a group still open (`group_by`) is complete: it is filtered and transformed alone.
    """
    try:
        page = await get_page(ctx)  # Batches: Prefect links each to its task run, not each row
        if page is None:
            if ctx.grouper is None or not ctx.grouper.held:
                return None
            kept = await filter_rows(ctx, quote([]), last=True)
        else:
            tally.add(page.counts)
            kept = await filter_rows(ctx, quote(page.items))
        tally.add(kept.counts)
        items = await transform_rows(ctx, quote(kept.items))
        tally.add(items.counts)
        return items.items
    except RunAborted as exc:  # the reason is already in ctx.stop
        tally.add(exc.counts)
        return None
    except Exception as exc:
        ctx.stop.set(abort_message(exc), fatal=True)
        return None


class _Aside:
    """Lets a page give its slot back before its writes end, for up to `PAGES_ASIDE` pages at a time.

    A page whose requests all have their first answer may still be searching a refused batch's elements
    (several rounds of requests); meanwhile the next page can be read and written.

    Args:
        slots: The pages in memory (`PAGES_IN_MEMORY`).
    """

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.pages = 0

    def page(self) -> _PageSlot:
        """The slot of a page whose writes start now (it holds one of `slots`)."""
        return _PageSlot(self)


class _PageSlot:
    """One page's slot: given back when the page is set aside or, at the latest, when it is written."""

    def __init__(self, aside: _Aside) -> None:
        self._aside = aside
        self._held = True
        self._set_aside = False

    def set_aside(self) -> None:
        """Give the slot back now when fewer than `PAGES_ASIDE` pages are aside (else keep it to the end)."""
        if self._held and self._aside.pages < PAGES_ASIDE:
            self._aside.pages += 1
            self._set_aside = True
            self.release()

    def release(self) -> None:
        """Give the slot back (once); called when the page is set aside, and when it is written."""
        if self._held:
            self._held = False
            self._aside.slots.release()

    def done(self) -> None:
        """The page is written: free its slot, or its place aside."""
        self.release()
        if self._set_aside:
            self._set_aside = False
            self._aside.pages -= 1


async def _write_page(ctx: RunContext, items: list[WriteItem], aside: _Aside, tally: _Tally) -> None:
    """Write one page, then free its slot; a fatal error is already in ctx.stop and must not cancel others.

    The slot goes back early when every request of the page has its first answer and only the search of a
    refused batch's elements is left (`_Aside`).
    """
    slot = aside.page()
    try:
        tally.add(await update_records(ctx, quote(items), on_answered=slot.set_aside))
    except RunAborted as exc:
        tally.add(exc.counts)
    except Exception as exc:
        ctx.stop.set(abort_message(exc), fatal=True)
    finally:
        slot.done()


def _preview(ctx: RunContext, hooks: RunHooks, items: list[WriteItem], shown: int) -> int:
    """Hand the first elements of a dry run to the terminal (never to Prefect); returns how many so far."""
    if hooks.on_preview is None:
        return shown
    for item in items[: max(hooks.preview_limit - shown, 0)]:
        if item.element is not None:
            hooks.on_preview(item.element.to_body(ctx.body_root))
        else:
            target = ctx.object_name or ctx.connector
            keys = item.delete_keys
            hooks.on_preview({"delete": {"connector": ctx.connector, "object": target, "keys": keys}})
        shown += 1
    return shown


def _preview_failures(hooks: RunHooks, failures: tuple[Failure, ...]) -> None:
    """Hand a dry run's first failed rows to the terminal (never to Prefect), as `{"would_fail": ...}`."""
    if hooks.on_preview is None:
        return
    for failure in failures[: hooks.preview_limit]:
        hooks.on_preview({"would_fail": {"stage": failure.stage, "message": failure.message}})


def _summarise(
    stkkr: str,
    flow_run_id: str,
    counts: Counts,
    reason: str | None,
    problems: tuple[str, ...],
    dry_run: bool,
    duration: float,
    limit: int | None = None,
    retried: RetryOutcome | None = None,
) -> RunSummary:
    """Build the summary and its state message from the counts and the reason the run stopped, if any."""
    summary = RunSummary.from_counts(
        counts,
        stkkr=stkkr,
        flow_run_id=flow_run_id,
        state="Failed" if reason else "Completed",
        duration_s=round(duration, 3),
        dry_run=dry_run,
        problems=problems,
        limit=limit,
        retry=retried is not None,
        records_closed=0 if retried is None else retried.closed + retried.filtered_out,
        records_unmatched=0 if retried is None else retried.unmatched,
    )
    parts = [("Dry run, nothing was written: " if dry_run else "") + summary.counts_text() + "."]
    if retried is not None:
        parts.append(retry_text(retried, failed=summary.failed, dry_run=dry_run))
    if reason:
        parts.insert(0, reason if reason.endswith(".") else f"{reason}.")
    if summary.not_attempted:
        parts.append(
            f"{summary.not_attempted} kept rows were not attempted (no error record each; the next run "
            "tries them)."
        )
    if counts.batch_fallback:
        parts.append("AFAS refused several elements per request, so they went one per request (no batch).")
    if counts.limit_reached:
        parts.append(f"The limit of {summary.limit} was reached; the rest was left for a later run.")
    unaccounted = counts.read - counts.accounted()
    if unaccounted > 0:
        parts.append(f"{unaccounted} rows read were not processed because the run stopped.")
    if (summary.failed or summary.respond_failed) and not dry_run:
        parts.append(f"Failed rows: `stkkr errors list --stkkr {stkkr}`.")
    return replace(summary, message=" ".join(parts))


async def _delete_upload(summary: RunSummary, upload: str) -> RunSummary:
    """Delete the uploaded file (`input_delete: true`); the summary's message says whether it went."""
    try:
        await asyncio.to_thread(delete_upload, upload)
    except UploadError as exc:
        return replace(summary, message=f"{summary.message} {exc}.")
    return replace(summary, message=f"{summary.message} The uploaded file was deleted.")


async def _publish(summary: RunSummary) -> None:
    """Log the summary line and show the counts as the table artifact `stkkr-<name>`."""
    logger = get_run_logger()
    logger.info(summary.message)
    try:
        await acreate_table_artifact(
            table=summary.artifact(), key=f"stkkr-{summary.stkkr}", description=summary.message
        )
    except Exception as exc:  # the run's outcome matters more than its artifact
        logger.warning("Could not create the summary artifact (%s).", type(exc).__name__)


async def _ensure_tags(flow_run: Any, tags: list[str]) -> None:
    """Add the stkkr's run tags when the run was started without them (e.g. the flow called directly)."""
    missing = [tag for tag in tags if tag not in flow_run.tags]
    if missing:
        async with get_client() as client:
            await client.update_flow_run(flow_run.id, tags=[*flow_run.tags, *missing])
