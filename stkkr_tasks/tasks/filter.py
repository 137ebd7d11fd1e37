"""The `filter_rows` task: keep the rows the stkkr's `filter` accepts and skip `unique` keys done before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.tasks._context import Batch, KeptRow, RunContext
from stkkr_tasks.tasks._errors import RunAborted, unexpected
from stkkr_tasks.tasks._recorder import Failure


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
        The kept rows (in a `Batch`), each with the fingerprint of its `unique` key (None without `unique`).

    Raises:
        RunAborted: The stkkr database could not be asked which keys are done.

    Example:
        Inside a stkkr flow: `kept = await filter_rows(ctx, quote(page.items))`.
    """
    kept: list[KeptRow] = []
    for row in rows:
        try:
            keep = ctx.compiled.keep(row)
            unique = ctx.compiled.unique_key(row) if keep else None
        except Exception as exc:
            ctx.recorder.fail(Failure(stage="filter", row=row, message=_expression_message(exc)))
            continue
        if not keep:
            ctx.counters.filtered_out += 1
            continue
        fingerprint = None if unique is None else await ctx.recorder.fingerprint(tuple(unique))
        kept.append(KeptRow(row=row, unique=fingerprint))
    kept = await _skip_done(ctx, kept)
    ctx.progress()
    return Batch(kept)


async def _skip_done(ctx: RunContext, kept: list[KeptRow]) -> list[KeptRow]:
    """Drop rows whose `unique` key was written before, or earlier in the same page."""
    fingerprints = {row.unique for row in kept if row.unique is not None}
    if not fingerprints:
        return kept
    try:
        done = set(await ctx.recorder.store.done_keys(ctx.stkkr, fingerprints))
    except Exception as exc:
        reason = unexpected(exc, "asking the stkkr database which unique keys are done")
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason) from None
    fresh: list[KeptRow] = []
    for row in kept:
        if row.unique is not None and row.unique in done:
            ctx.counters.skipped += 1
            continue
        if row.unique is not None:
            done.add(row.unique)  # a key twice in one page is written once
        fresh.append(row)
    return fresh


def _expression_message(exc: Exception) -> str:
    """The message of an expression error names its location and kind only; anything else is hidden."""
    if isinstance(exc, ExpressionError):
        return str(exc)
    return unexpected(exc, "evaluating the filter")
