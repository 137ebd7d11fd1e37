"""The `get_page` task: read the next page of the GetConnector through the run's pager."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.afas import AfasError
from stkkr_tasks.tasks._context import Batch, Counts, RunContext
from stkkr_tasks.tasks._errors import RunAborted, failure_from, fatal_reason, unexpected


@task(
    name="Get page",
    description="Read the next page of the stkkr's GetConnector (ordered on its key, never a row twice).",
    cache_policy=NO_CACHE,  # rows must never be hashed or stored
    persist_result=False,
)
async def get_page(ctx: RunContext) -> Batch[dict[str, Any]] | None:
    """Read the next page of rows; the client retries transient errors, so any error here ends the run.

    Args:
        ctx: The run's shared context (pager, recorder).

    Returns:
        The rows of the page (in a `Batch`, which keeps Prefect from linking every row to the task
        run) counted as read, or None when every page was read.

    Raises:
        RunAborted: The page could not be read; the message says why and holds no row data.

    Example:
        Inside a stkkr flow: `page = await get_page(ctx)`, then `page.items`.
    """
    try:
        rows = await ctx.pager.next_page()
    except Exception as exc:
        reason = fatal_reason(exc)
        if reason is None:
            # The request carried the last key read: AFAS may quote it, so it is redacted like a row.
            ctx.recorder.note(failure_from(exc, stage="get", row=ctx.pager.position))
            detail = str(exc) if isinstance(exc, AfasError) else unexpected(exc, "reading a page")
            reason = f"Reading GetConnector {ctx.get_connector} failed: {detail}"
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason) from None
    if rows is None:
        return None
    return Batch(rows, Counts(read=len(rows), pages=1))
