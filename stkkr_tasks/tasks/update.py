"""The `update_records` task: send a page's writes concurrently and record every outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Literal

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.tasks._batches import NOT_ATTEMPTED, WRITTEN, Result, batches, write_batch
from stkkr_tasks.tasks._context import WRITERS_PER_PAGE, Counts, RunContext, WriteItem
from stkkr_tasks.tasks._errors import RunAborted, failure_from, fatal_reason, outcome_unknown, unexpected
from stkkr_tasks.tasks._recorder import KEY_KEPT
from stkkr_tasks.tasks._respond import respond
from stkkr_tasks.tasks._run_once import Outcome, PageReservations


@task(
    name="Update records",
    description="Send a page's inserts, updates or deletes to the UpdateConnector, several at a time.",
    cache_policy=NO_CACHE,  # elements carry row values and must never be hashed or stored
    persist_result=False,
)
async def update_records(
    ctx: RunContext, items: Sequence[WriteItem], on_answered: Callable[[], None] | None = None
) -> Counts:
    """Write every item; a refused row becomes an error record and the others go on.

    Writes run concurrently; the client's limiter keeps at most 8 requests in flight per AFAS environment,
    shared with the pages read and written at the same time. Pages take turns: a page starts its writes once
    the page before it has started its last one, so the slots pass from page to page without a gap and pages
    finish in order. Once the run must stop (error policy, or AFAS refused the token or went away) no new
    write starts: the items left are counted as not attempted (no error record). With `on_error: stop` a page
    writes one item at a time, so the first refusal stops the run with one failed row (or group).
    With `update.batch` above 1, consecutive inserts (or updates) go out up to that many per request; a
    refused request is split into parts until the refused elements are alone (`_batches`). Once every
    request of the page has its first answer, `on_answered` is called: what is left is finding refused
    elements, and the flow may read on meanwhile (a page in that search may finish after later pages).
    A `unique` key is reserved shortly before its write, a few rows ahead (a row whose key is taken by then
    is skipped), and settled right after it: done when written, released when refused, kept when the
    outcome is unknown; keys reserved for rows that were not sent are released.
    With `respond`, each written row's response write follows its write (after its key is settled), in the
    same writer; a refused response is an error record at stage respond and the row stays written.
    Failures are stored when the page is finished.

    Args:
        ctx: The run's shared context.
        items: The writes of one page.
        on_answered: Called once every request of the page (every batch's own) has its answer.

    Returns:
        The page's rows written, skipped (key taken by then), failed and not attempted.

    Raises:
        RunAborted: AFAS refused the token or became unreachable during this page, or the stkkr database
            could not be written. Every item of the page is accounted for in its counts.

    Example:
        Inside a stkkr flow: `await update_records(ctx, quote(items))`.
    """
    pending: list[tuple[int, list[WriteItem]]] = []
    offset = 0
    for batch in batches(items, ctx.batch):  # consecutive slices of the page: a batch starts at its offset
        pending.append((offset, batch))
        offset += len(batch)
    queue = iter(pending)
    total = Counts()
    fatal_here: str | None = None
    turn = _Turn(ctx.write_turn)
    reservations = PageReservations(ctx.guard, items)
    unanswered = len(pending)

    def answered() -> None:
        nonlocal unanswered
        unanswered -= 1
        if unanswered == 0:  # only the search for refused elements is left: the next page may go on
            turn.pass_on()
            if on_answered is not None:
                on_answered()

    async def writer() -> None:
        nonlocal total, fatal_here
        for start, batch in queue:
            claimed: list[WriteItem] = []
            for offset, item in enumerate(batch):
                index = start + offset
                reserved = "stopped" if ctx.stop.is_set else await _reserve(ctx, reservations, index, item)
                if reserved == "stopped":
                    total += NOT_ATTEMPTED.counts(item)
                elif reserved == "taken":
                    total += Counts(skipped=item.size)
                else:
                    claimed.append(item)
            if not claimed:
                answered()
            results = await write_batch(ctx, claimed, _write, _settle, answered) if claimed else []
            for item, result in zip(claimed, results, strict=True):
                total += result.counts(item)
                fatal_here = fatal_here or result.fatal
        turn.pass_on()  # every item has started: the next page may take the slots as they come free

    def counts() -> Counts:
        return total + Counts(batch_fallback=ctx.batch_fallback)

    await turn.take()
    try:
        async with asyncio.TaskGroup() as group:
            writers = 1 if ctx.recorder.stops_at_first_failure else WRITERS_PER_PAGE
            for _ in range(min(writers, len(pending))):
                group.create_task(writer())
    finally:
        turn.pass_on()
        await reservations.release_unsent()
        await _save(ctx, counts())
    if fatal_here is not None:
        raise RunAborted(fatal_here, counts())
    return counts()


class _Turn:
    """One page's turn to start writes; held from the page's first write until its last one has started, or
    until every request of the page has its first answer (one batch of the page may still search refused
    elements)."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self._held = False

    async def take(self) -> None:
        """Wait until the pages before this one have started all their writes."""
        await self._lock.acquire()
        self._held = True

    def pass_on(self) -> None:
        """Let the next page start its writes (once; later calls do nothing)."""
        if self._held:
            self._held = False
            self._lock.release()


async def _write(ctx: RunContext, item: WriteItem) -> Result:
    """Send one write and record a failure; a failure that stops the run carries the reason.

    With `respond`, a written item's response write follows, once its `unique` key is settled as done.
    """
    results: dict[str, Any] = {}
    try:
        if item.element is None:  # a delete: transform_rows gave it keys, no element
            await ctx.client.delete(ctx.connector, item.delete_keys, object_name=ctx.object_name)
        elif item.action == "insert":
            results = await ctx.client.insert(ctx.connector, item.element, root=ctx.body_root)
        else:
            results = await ctx.client.update(ctx.connector, item.element, root=ctx.body_root)
    except Exception as exc:
        reason = fatal_reason(exc)
        if reason is not None:
            ctx.stop.set(reason, fatal=True)
        failure = failure_from(exc, stage="update", row=item.row, item=item)
        failure.rows = item.rows
        if _settle(ctx, item, "unknown" if outcome_unknown(exc) else "release"):
            failure.unique_key = item.unique
            failure.message += KEY_KEPT
        ctx.recorder.fail(failure)
        return Result(fatal=reason)
    _settle(ctx, item, "done")
    if ctx.responder is None:
        return WRITTEN
    failed = await respond(ctx, item, results)
    return Result(written=True, responded=failed is None, fatal=failed or None)


async def _reserve(
    ctx: RunContext, reservations: PageReservations, index: int, item: WriteItem
) -> Literal["reserved", "taken", "stopped"]:
    """Wait for the item's `unique` key to be reserved: "reserved", "taken" (the row is skipped), or
    "stopped" when the stkkr database cannot store the reservation (nothing is sent: the run stops, and the
    row is not attempted like the other rows of a stopped run).
    """
    try:
        return "reserved" if await reservations.claim(index) else "taken"
    except Exception as exc:
        ctx.stop.set(unexpected(exc, "reserving a unique key in the stkkr database"), fatal=True)
        return "stopped"


def _settle(ctx: RunContext, item: WriteItem, outcome: Outcome) -> bool:
    """Queue the outcome of the item's `unique` key (and, in a retry, of its row's error records); True
    when the key stays reserved (unknown outcome)."""
    if ctx.retry is not None and outcome == "done":
        ctx.retry.written(item.row)
    if ctx.guard is None or item.unique is None:
        return False
    ctx.guard.settle(item.unique, outcome)
    return outcome == "unknown"


async def _save(ctx: RunContext, counts: Counts) -> None:
    """Store the settlements of the page's `unique` keys, then its error records."""
    try:
        if ctx.guard is not None:
            await ctx.guard.flush()
        await ctx.recorder.flush()
    except Exception as exc:
        reason = unexpected(exc, "writing to the stkkr database")
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason, counts) from None
