"""The `transform_rows` task: turn each kept row into the UpdateConnector element (or delete keys) to send."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.tasks._context import Batch, Counts, KeptRow, RunContext, WriteItem
from stkkr_tasks.tasks._errors import unexpected
from stkkr_tasks.tasks._recorder import Failure


@task(
    name="Transform rows",
    description="Render the stkkr's transform for every kept row of a page.",
    cache_policy=NO_CACHE,  # rows must never be hashed or stored
    persist_result=False,
)
async def transform_rows(ctx: RunContext, kept: Sequence[KeptRow]) -> Batch[WriteItem]:
    """Render keys, fields and nested objects per row; for `delete`, render the keys only.

    A row whose expression fails becomes an error record (stage `transform`) and the run goes on, or stops
    per the error policy.

    Args:
        ctx: The run's shared context.
        kept: The kept rows of one page.

    Returns:
        The writes to send, in row order (in a `Batch`), and the page's rows that failed.

    Example:
        Inside a stkkr flow: `items = (await transform_rows(ctx, quote(kept.items))).items`.
    """
    items: list[WriteItem] = []
    for entry in kept:
        try:
            item = WriteItem(row=entry.row, unique=entry.unique)
            if ctx.action == "delete":
                item.delete_keys = ctx.compiled.delete_keys(entry.row)
            else:
                item.element = ctx.compiled.element(entry.row)
        except Exception as exc:
            message = str(exc) if isinstance(exc, ExpressionError) else unexpected(exc, "transforming a row")
            ctx.recorder.fail(Failure(stage="transform", row=entry.row, message=message))
            continue
        items.append(item)
    return Batch(items, Counts(failed=len(kept) - len(items)))
