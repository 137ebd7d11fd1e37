"""The `filter_rows` task: keep the rows the stkkr's `filter` accepts, group them (`group_by`), skip `unique`
keys done before, and stop at the run's `limit`.

A page is decided first and counted afterwards: when the `limit` is reached inside a page, the rows after
the last kept row (or group) are left unread (not counted, no error records), as if the page had ended there.
With `group_by` a kept row joins the open group; a group is handed on once a row of another group arrives,
or after the last page (`last=True`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.store import is_empty_key
from stkkr_tasks.tasks._context import Batch, Counts, KeptRow, RunContext
from stkkr_tasks.tasks._errors import RunAborted, unexpected
from stkkr_tasks.tasks._groups import GroupTooLarge
from stkkr_tasks.tasks._recorder import OUTCOME_UNKNOWN, Failure


@dataclass
class _Unit:
    """A kept row (or group) of the page, with the index of its last row in the page.

    Attributes:
        kept: The row or group, with its `unique` fingerprint once known.
        end: The index of its last row in the page (-1: it ended on an earlier page).
        unique: The values of its `unique` key (None without `unique`).
        skipped: True when its key is done, in flight, of unknown outcome, or earlier in the page.
        failure: Set when it cannot be written (an empty `unique` key).
        abandoned: Skipped because an earlier write of its key has an unknown outcome (noted once).
    """

    kept: KeptRow
    end: int
    unique: tuple[Any, ...] | None = None
    skipped: bool = False
    failure: Failure | None = None
    abandoned: bool = False


@task(
    name="Filter rows",
    description="Keep the rows of a page that pass the stkkr's filter and were not done before (unique).",
    cache_policy=NO_CACHE,  # rows must never be hashed or stored
    persist_result=False,
)
async def filter_rows(ctx: RunContext, rows: Sequence[dict[str, Any]], last: bool = False) -> Batch[KeptRow]:
    """Evaluate the `filter` expression per row, group the kept rows, then drop those done before (`unique`).

    In a retry (`ctx.retry`) the rows without an open error record are passed over first (`not_retried`),
    and the rows the filter drops are noted, so their records close. A row whose expression fails becomes
    an error record (stage `filter`) and the run goes on, or stops per the error policy. Once the run's
    `limit` of kept rows (or groups) is reached, the rest of the page is left unread and no further page is
    read. A group larger than `max_group_rows` stops the run.

    Args:
        ctx: The run's shared context.
        rows: The rows of one page.
        last: True after the last page (with no rows): the open group is complete.

    Returns:
        The kept rows or groups (in a `Batch`), each with the fingerprint of its `unique` key (None without
        `unique`), and the page's rows filtered out, skipped and failed, the rows (or groups) kept and
        whether the `limit` was reached; rows left unread after the limit leave `read` (a negative count);
        in a retry also the rows passed over.

    Raises:
        RunAborted: The stkkr database could not be asked which keys are done (with the counts so far).

    Example:
        Inside a stkkr flow: `kept = await filter_rows(ctx, quote(page.items))`.
    """
    passed_over = 0
    if ctx.retry is not None:  # before the filter: rows without an open error record are left alone
        selected = ctx.retry.select(rows)
        passed_over, rows = len(rows) - len(selected), selected
    outcomes, units = _decide(ctx, rows)
    if last and ctx.grouper is not None:
        _close_group(ctx, ctx.grouper.close(), units, end=len(rows) - 1)
    legacy = _fingerprint(ctx, units)
    try:
        await _mark_done(ctx, units, legacy)
    except RunAborted as exc:  # the rows already decided are counted; the kept ones are not processed
        _, counts = _count(ctx, outcomes, [unit for unit in units if unit.failure is not None])
        raise RunAborted(str(exc), counts + Counts(not_retried=passed_over)) from None
    cut = _cut_at_limit(ctx, units, len(rows))
    counted = [unit for unit in units if unit.end < cut]
    kept, counts = _count(ctx, outcomes[:cut], counted)
    counts += Counts(read=-(len(outcomes) - len(outcomes[:cut])), not_retried=passed_over)
    if ctx.retry is not None and not ctx.dry_run:
        ctx.retry.filtered_out(row for row, keep in zip(rows[:cut], outcomes, strict=False) if keep is False)
    if ctx.limiter is not None:
        ctx.limiter.keep(len(kept))
        counts += Counts(limit_reached=ctx.limiter.reached)
        if ctx.limiter.reached and ctx.grouper is not None:
            ctx.grouper.close()  # the open group started after the cut: its rows were left unread
    abandoned = [unit.kept for unit in counted if unit.abandoned]
    if abandoned and not ctx.dry_run:
        await _note_abandoned(ctx, abandoned, counts)
    return Batch(kept, counts)


def _decide(ctx: RunContext, rows: Sequence[dict[str, Any]]) -> tuple[list[Failure | bool], list[_Unit]]:
    """Per row: a Failure, or whether the filter keeps it; and the kept rows (or groups) as units, in order.

    A group too large to hold stops the run: its rows fail as one, the rest of the page is not decided.
    """
    outcomes: list[Failure | bool] = []
    units: list[_Unit] = []
    grouper = ctx.grouper
    for index, row in enumerate(rows):
        try:
            keep = ctx.compiled.keep(row)
            group = ctx.compiled.group_key(row) if keep and grouper is not None else None
            unique = ctx.compiled.unique_key(row) if keep else None
        except Exception as exc:
            outcomes.append(Failure(stage="filter", row=row, message=_expression_message(exc)))
            continue
        if not keep:
            outcomes.append(False)
        elif grouper is None:
            outcomes.append(True)
            units.append(_Unit(KeptRow(row=row), end=index, unique=unique))
        else:
            try:
                closed = grouper.add(group or (), row)
            except GroupTooLarge as exc:
                held = [*grouper.held, row]
                grouper.close()
                failure = Failure(stage="filter", row=held[0], rows=held, message=str(exc))
                units.append(_Unit(KeptRow(row=held[0], rows=held), end=index, failure=failure))
                ctx.stop.set(str(exc), fatal=True)
                break
            outcomes.append(True)
            _close_group(ctx, closed, units, end=index - 1)
    return outcomes, units


def _close_group(ctx: RunContext, rows: list[dict[str, Any]] | None, units: list[_Unit], end: int) -> None:
    """Add a complete group to the units; its last row in this page is at `end` (-1: an earlier page)."""
    if rows:
        unique = ctx.compiled.unique_key(rows[0])  # unique fields are group fields: the same in every row
        units.append(_Unit(KeptRow(row=rows[0], rows=rows), end=end, unique=unique))


def _fingerprint(ctx: RunContext, units: list[_Unit]) -> dict[str, str]:
    """Fingerprint each unit's `unique` key (an empty key fails it); returns legacy fingerprints by new."""
    legacy: dict[str, str] = {}
    if ctx.guard is None:
        return legacy
    for unit in units:
        if unit.unique is None:
            continue
        if is_empty_key(unit.unique):
            kept = unit.kept
            unit.failure = Failure(
                stage="filter", row=kept.row, rows=kept.rows, message=_empty_key_message(ctx)
            )
            continue
        unit.kept.unique, old = ctx.guard.fingerprints(unit.unique)
        if old is not None:
            legacy[unit.kept.unique] = old
    return legacy


async def _mark_done(ctx: RunContext, units: list[_Unit], legacy: dict[str, str]) -> None:
    """Mark units whose `unique` key is done, in flight or of unknown outcome, or earlier in the page.

    This only spares the units that are known to be done a transform; the reservation right before each
    write (`update_records`) is what guarantees a key is written once.
    """
    guard = ctx.guard
    fingerprints = {unit.kept.unique for unit in units if unit.kept.unique is not None} | set(legacy.values())
    if guard is None or not fingerprints:
        return
    try:
        states = await guard.states(fingerprints)
    except Exception as exc:
        reason = unexpected(exc, "asking the stkkr database which unique keys are done")
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason) from None  # filter_rows adds the counts of the rows decided so far
    seen: set[str] = set()
    for unit in units:
        unique = unit.kept.unique
        if unique is None or unit.failure is not None:
            continue
        state = states.get(unique) or states.get(legacy.get(unique, ""))
        unit.skipped = state is not None or unique in seen
        if ctx.retry is not None and state is not None and state.state == "done":
            ctx.retry.written(unit.kept.row)  # a run wrote the key since the row failed: nothing to retry
        unit.abandoned = state is not None and unique not in seen and guard.is_abandoned(unique, state)
        seen.add(unique)


def _cut_at_limit(ctx: RunContext, units: list[_Unit], page_rows: int) -> int:
    """How many rows of the page the run takes: all of them, or up to the unit that reaches the `limit`."""
    if ctx.limiter is None:
        return page_rows
    remaining = ctx.limiter.remaining
    for unit in units:
        if unit.skipped or unit.failure is not None:
            continue
        remaining -= 1
        if remaining <= 0:
            return unit.end + 1
    return page_rows


def _count(
    ctx: RunContext, outcomes: Sequence[Failure | bool], units: list[_Unit]
) -> tuple[list[KeptRow], Counts]:
    """Record the failed rows and units; returns the kept ones and the counts of them all."""
    counts = Counts()
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            ctx.recorder.fail(outcome)
            counts += Counts.of_failed()
        elif not outcome:
            counts += Counts(filtered_out=1)
    kept: list[KeptRow] = []
    for unit in units:
        if unit.failure is not None:
            ctx.recorder.fail(unit.failure)
            counts += Counts.of_failed(unit.kept.size, group=bool(unit.kept.rows))
        elif unit.skipped:
            counts += Counts(skipped=unit.kept.size)
        else:
            kept.append(unit.kept)
    return kept, counts + Counts(kept=len(kept))


async def _note_abandoned(ctx: RunContext, abandoned: list[KeptRow], counts: Counts) -> None:
    """Record each skipped key of unknown outcome that has no unresolved error record (any more)."""
    guard = ctx.guard
    assert guard is not None
    try:
        recorded = await guard.keys.unresolved_records({row.unique for row in abandoned if row.unique})
    except Exception as exc:
        reason = unexpected(exc, "reading the stkkr database")
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason, counts) from None
    for row in abandoned:
        if row.unique is not None and row.unique not in recorded:
            ctx.recorder.note(
                Failure(
                    stage="update", row=row.row, rows=row.rows, message=OUTCOME_UNKNOWN, unique_key=row.unique
                )
            )
            guard.settle(row.unique, "unknown")


def _empty_key_message(ctx: RunContext) -> str:
    fields = ", ".join(ctx.compiled.unique_fields)
    return (
        f"unique: the row's run-once key ({fields}) is empty, so the row cannot be guarded and is not "
        f"written; fill it in AFAS, or leave such rows out with `filter` or `where`."
    )


def _expression_message(exc: Exception) -> str:
    """The message of an expression error names its location and kind only; anything else is hidden."""
    if isinstance(exc, ExpressionError):
        return str(exc)
    return unexpected(exc, "evaluating the filter")
