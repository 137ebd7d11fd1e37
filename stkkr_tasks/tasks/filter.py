"""The `filter_rows` task: keep the rows the stkkr's `filter` accepts and skip `unique` keys done before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.store import is_empty_key
from stkkr_tasks.tasks._context import Batch, Counts, KeptRow, RunContext
from stkkr_tasks.tasks._errors import RunAborted, unexpected
from stkkr_tasks.tasks._recorder import OUTCOME_UNKNOWN, Failure


@task(
    name="Filter rows",
    description="Keep the rows of a page that pass the stkkr's filter and were not done before (unique).",
    cache_policy=NO_CACHE,  # rows must never be hashed or stored
    persist_result=False,
)
async def filter_rows(ctx: RunContext, rows: Sequence[dict[str, Any]]) -> Batch[KeptRow]:
    """Evaluate the `filter` expression per row, then drop rows whose `unique` key succeeded before.

    A row whose expression fails becomes an error record (stage `filter`) and the run goes on, or stops
    per the error policy.

    Args:
        ctx: The run's shared context.
        rows: The rows of one page.

    Returns:
        The kept rows (in a `Batch`), each with the fingerprint of its `unique` key (None without `unique`),
        and the page's rows filtered out, skipped and failed.

    Raises:
        RunAborted: The stkkr database could not be asked which keys are done (with the counts so far).

    Example:
        Inside a stkkr flow: `kept = await filter_rows(ctx, quote(page.items))`.
    """
    kept: list[KeptRow] = []
    legacy: dict[str, str] = {}
    filtered_out = failed = 0
    for row in rows:
        try:
            keep = ctx.compiled.keep(row)
            unique = ctx.compiled.unique_key(row) if keep else None
        except Exception as exc:
            ctx.recorder.fail(Failure(stage="filter", row=row, message=_expression_message(exc)))
            failed += 1
            continue
        if not keep:
            filtered_out += 1
            continue
        fingerprint = None
        if unique is not None and ctx.guard is not None:
            if is_empty_key(unique):
                ctx.recorder.fail(Failure(stage="filter", row=row, message=_empty_key_message(ctx)))
                failed += 1
                continue
            fingerprint, old = ctx.guard.fingerprints(unique)
            if old is not None:
                legacy[fingerprint] = old
        kept.append(KeptRow(row=row, unique=fingerprint))
    counts = Counts(filtered_out=filtered_out, failed=failed)
    fresh = await _skip_done(ctx, kept, legacy, counts)
    return Batch(fresh, Counts(filtered_out=filtered_out, skipped=len(kept) - len(fresh), failed=failed))


async def _skip_done(
    ctx: RunContext, kept: list[KeptRow], legacy: dict[str, str], counts: Counts
) -> list[KeptRow]:
    """Drop rows whose `unique` key is done, in flight or of unknown outcome, or earlier in the same page.

    This only spares the rows that are known to be done a transform; the reservation right before each
    write (`update_records`) is what guarantees a key is written once.
    """
    guard = ctx.guard
    fingerprints = {row.unique for row in kept if row.unique is not None} | set(legacy.values())
    if guard is None or not fingerprints:
        return kept
    try:
        states = await guard.states(fingerprints)
    except Exception as exc:
        reason = unexpected(exc, "asking the stkkr database which unique keys are done")
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason, counts) from None
    fresh: list[KeptRow] = []
    seen: set[str] = set()
    abandoned: list[KeptRow] = []
    for row in kept:
        if row.unique is None:
            fresh.append(row)
            continue
        state = states.get(row.unique) or states.get(legacy.get(row.unique, ""))
        if state is None and row.unique not in seen:
            fresh.append(row)
        elif state is not None and guard.is_abandoned(row.unique, state) and row.unique not in seen:
            abandoned.append(row)
        seen.add(row.unique)
    if abandoned and not ctx.dry_run:
        await _note_abandoned(ctx, abandoned, counts)
    return fresh


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
                Failure(stage="update", row=row.row, message=OUTCOME_UNKNOWN, unique_key=row.unique)
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
