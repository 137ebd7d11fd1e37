"""The `transform_rows` task: turn each kept row into the UpdateConnector element (or delete keys) to send."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.tasks._context import Batch, Counts, KeptRow, RunContext, WriteItem
from stkkr_tasks.tasks._errors import unexpected
from stkkr_tasks.tasks._precheck import element_problem
from stkkr_tasks.tasks._recorder import Failure


@task(
    name="Transform rows",
    description="Render the stkkr's transform for every kept row of a page.",
    cache_policy=NO_CACHE,  # rows must never be hashed or stored
    persist_result=False,
)
async def transform_rows(ctx: RunContext, kept: Sequence[KeptRow]) -> Batch[WriteItem]:
    """Choose the action per row (or group), then render keys, fields and objects; a `delete` gets keys only.

    With `group_by` each kept entry is a group: `row` is its first row, and sub-objects with `each: rows`
    get one element per row of the group.

    A row whose expression fails becomes an error record (stage `transform`) and the run goes on, or stops
    per the error policy. An element that AFAS would refuse by the UpdateConnector's metainfo (a value's type,
    length or allowed values, an empty mandatory field of an insert) is not sent: it becomes an error record
    at stage `update` (`_precheck`).

    Args:
        ctx: The run's shared context.
        kept: The kept rows of one page.

    Returns:
        The writes to send, in row order (in a `Batch`), and the page's rows that failed.

    Example:
        Inside a stkkr flow: `items = (await transform_rows(ctx, quote(kept.items))).items`.
    """
    items: list[WriteItem] = []
    counts = Counts()
    for entry in kept:
        problem: str | None = None
        try:
            action = ctx.compiled.action(entry.row, entry.rows)
            item = WriteItem(row=entry.row, rows=entry.rows, action=action, unique=entry.unique)
            if item.action == "delete":
                item.delete_keys = ctx.compiled.delete_keys(entry.row)
            else:
                item.element = ctx.compiled.element(entry.row, entry.rows)
                if not ctx.stop.is_set:  # once the run stops, the rows left are not attempted, not failed
                    problem = _problem(ctx, item)
        except Exception as exc:
            message = str(exc) if isinstance(exc, ExpressionError) else unexpected(exc, "transforming a row")
            ctx.recorder.fail(Failure(stage="transform", row=entry.row, rows=entry.rows, message=message))
            counts += Counts.of_failed(entry.size, group=bool(entry.rows))
            continue
        if problem is not None:  # AFAS would refuse it: it fails without costing a request
            ctx.recorder.fail(
                Failure(stage="update", row=entry.row, rows=entry.rows, message=problem, item=item)
            )
            counts += Counts.of_failed(entry.size, group=bool(entry.rows))
            continue
        items.append(item)
    return Batch(items, counts)


def _problem(ctx: RunContext, item: WriteItem) -> str | None:
    """Why AFAS would refuse the item's element by the UpdateConnector's metainfo, or None."""
    if ctx.update_meta is None or item.element is None:
        return None
    owner = f"UpdateConnector {ctx.connector!r}"
    return element_problem(item.element, ctx.update_meta, owner, insert=item.action == "insert")
