"""Several elements per request (`update.batch`): forming batches, and finding the refused elements.

AFAS handles a message as one transaction, so a refused batch wrote nothing: it is split in `PARTS` parts
that are sent again at once, until the refused elements are alone (each becomes its own error record) and
the others are written; a refused part of `SINGLES_AT` elements or fewer is sent element by element at once,
which saves the last round trips. Elements that AFAS would refuse by the metainfo never get here
(`_precheck`): what is left are refusals of AFAS's own rules (a record that does not exist, a closed
period). A batch that AFAS refuses while each of its elements alone is accepted was refused for its shape
(the connector takes one element per request): the run then falls back to single elements, with a warning,
instead of failing every row. `unique` keys are reserved before a batch is sent (`update_records`) and
settled here once each element's outcome is known.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

from stkkr_tasks.afas import AfasBadRequestError, AfasPayloadTooLargeError, AfasValidationError
from stkkr_tasks.tasks._context import Counts, RunContext, WriteItem
from stkkr_tasks.tasks._errors import failure_from, fatal_reason, outcome_unknown
from stkkr_tasks.tasks._recorder import KEY_KEPT
from stkkr_tasks.tasks._run_once import Outcome


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one item: written, failed (with the reason the run must stop, if any), or not sent.

    Attributes:
        written: AFAS accepted it.
        fatal: When it failed: the reason the whole run must stop, or None when only the item failed.
        not_attempted: It was never sent because the run stopped (counted apart, no error record).
        responded: With `respond`: whether the response write succeeded; None without `respond`.
    """

    written: bool = False
    fatal: str | None = None
    not_attempted: bool = False
    responded: bool | None = None

    def counts(self, item: WriteItem) -> Counts:
        """The counts of the item's rows (a group's rows count as one group too)."""
        group = bool(item.rows)
        if self.written:
            written = Counts.of_written(item.action, item.size, group=group)
            if self.responded is None:  # no respond
                return written
            return written + Counts(
                responded=item.size if self.responded else 0,
                respond_failed=0 if self.responded else item.size,
            )
        if self.not_attempted:
            return Counts(not_attempted=item.size)
        return Counts.of_failed(item.size, group=group)


WRITTEN = Result(written=True)
NOT_ATTEMPTED = Result(not_attempted=True)

#: Sends one element and records its outcome.
WriteOne = Callable[[RunContext, WriteItem], Awaitable[Result]]
#: Settles an item's `unique` key (done, release, unknown); True when the key stays reserved.
Settle = Callable[[RunContext, WriteItem, Outcome], bool]

#: A refused part this small goes out as single elements, all at once (fewer round trips than halving on).
SINGLES_AT = 8
#: A refused batch is sent again in this many parts at once: fewer rounds and less time on AFAS's side than
#: halves (one refused element among 50, at 20 ms per request and 2 ms per element: 4 rounds and about 470
#: slot-ms against 5 and 550; bench/RESULTS.md, issue 17).
PARTS = 4

#: Refusals of a whole message (nothing was written): worth splitting to find the elements refused.
_REFUSALS = (AfasValidationError, AfasBadRequestError, AfasPayloadTooLargeError)

SHAPE_REFUSED = (
    "AFAS refused several elements per request while it accepts them one by one: this UpdateConnector "
    "takes one element per request, so the run went on without batch."
)


def split(batch: list[WriteItem]) -> list[list[WriteItem]]:
    """The parts a refused batch is sent again in: `PARTS` about equal ones, or single elements when small."""
    if len(batch) <= SINGLES_AT:
        return [[item] for item in batch]
    return [batch[len(batch) * n // PARTS : len(batch) * (n + 1) // PARTS] for n in range(PARTS)]


def batches(items: Sequence[WriteItem], size: int) -> Iterator[list[WriteItem]]:
    """Consecutive items of the same action, up to `size` per batch; a delete always goes alone."""
    batch: list[WriteItem] = []
    for item in items:
        alone = item.element is None
        if batch and (alone or len(batch) >= size or batch[0].action != item.action):
            yield batch
            batch = []
        batch.append(item)
        if alone:
            yield batch
            batch = []
    if batch:
        yield batch


async def write_batch(
    ctx: RunContext,
    batch: list[WriteItem],
    write_one: WriteOne,
    settle: Settle,
    answered: Callable[[], None] = lambda: None,
) -> list[Result]:
    """Send a batch as one request; a refused batch is split until its refused elements are alone.

    Args:
        ctx: The run's shared context.
        batch: Items of one action (insert or update), at least one.
        write_one: Sends a single item and records its outcome.
        settle: Settles an item's `unique` key once its outcome is known.
        answered: Called once the batch's own request has its answer: what follows, if anything, is the
            search for its refused elements.

    Returns:
        The outcome of each item, in order.
    """
    if ctx.stop.is_set:  # the run stopped while a refused batch was being split: send no more
        for item in batch:
            settle(ctx, item, "release")
        answered()
        return [NOT_ATTEMPTED] * len(batch)
    if len(batch) == 1 or ctx.batch_fallback:
        results = [await write_one(ctx, item) for item in batch]
        answered()
        return results
    return await _send_or_split(ctx, batch, write_one, settle, answered)


async def _send_or_split(
    ctx: RunContext, batch: list[WriteItem], write_one: WriteOne, settle: Settle, answered: Callable[[], None]
) -> list[Result]:
    """Send a batch of two or more; when AFAS refuses it, find the refused elements (see the module)."""
    elements = [item.element for item in batch if item.element is not None]
    # No `respond` here: the file is refused when it has both (AFAS's answer to a batch is not per element).
    send = ctx.client.insert_many if batch[0].action == "insert" else ctx.client.update_many
    try:
        await send(ctx.connector, elements, root=ctx.body_root)
    except _REFUSALS:
        answered()
        parts = split(batch)
        answers = await asyncio.gather(*(write_batch(ctx, part, write_one, settle) for part in parts))
        outcomes = [outcome for answer in answers for outcome in answer]
        if all(outcome.written for outcome in outcomes) and not ctx.batch_fallback:
            ctx.batch_fallback = True
            ctx.warn(SHAPE_REFUSED)
        return outcomes
    except Exception as exc:  # the outcome is unknown, or AFAS cannot be used: no element is re-sent
        answered()
        reason = fatal_reason(exc)
        if reason is not None:
            ctx.stop.set(reason, fatal=True)
        for item in batch:
            failure = failure_from(exc, stage="update", row=item.row, item=item)
            failure.rows = item.rows
            if settle(ctx, item, "unknown" if outcome_unknown(exc) else "release"):
                failure.unique_key = item.unique
                failure.message += KEY_KEPT
            ctx.recorder.fail(failure)
        return [Result(fatal=reason)] * len(batch)
    answered()
    for item in batch:
        settle(ctx, item, "done")
    return [WRITTEN] * len(batch)
