"""The `get_page` task: read the next page of the GetConnector through the run's pager, or of the upload."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from stkkr_tasks.afas import AfasError
from stkkr_tasks.tasks._context import Batch, Counts, RunContext
from stkkr_tasks.tasks._errors import RunAborted, failure_from, fatal_reason, unexpected
from stkkr_tasks.tasks._recorder import Failure
from stkkr_tasks.uploads import UploadError, UploadFile


@task(
    name="Get page",
    description="Read the next page of the stkkr's GetConnector (ordered on its key, never a row twice), "
    "or of its uploaded file.",
    cache_policy=NO_CACHE,  # rows must never be hashed or stored
    persist_result=False,
)
async def get_page(ctx: RunContext) -> Batch[dict[str, Any]] | None:
    """Read the next page of rows; the client retries transient errors, so any error here ends the run.

    Args:
        ctx: The run's shared context (pager or upload, recorder).

    Returns:
        The rows of the page (in a `Batch`, which keeps Prefect from linking every row to the task
        run) counted as read, or None when every page was read. Rows of an upload whose cells do not fit
        the header or their types are counted as read and failed, and recorded.

    Raises:
        RunAborted: The page could not be read; the message says why and holds no row data.

    Example:
        Inside a stkkr flow: `page = await get_page(ctx)`, then `page.items`.
    """
    if ctx.upload is not None:
        return await _upload_page(ctx, ctx.upload)
    if ctx.pager is None:
        raise RunAborted("The run has nothing to read: no GetConnector and no uploaded file.")
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


async def _upload_page(ctx: RunContext, upload: UploadFile) -> Batch[dict[str, Any]] | None:
    """The next page of the uploaded file, read in a thread; its bad rows fail (error policy applies)."""
    try:
        page = await asyncio.to_thread(upload.page)
    except UploadError as exc:
        reason = f"Reading the uploaded file stopped: {exc}."
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason) from None
    except Exception as exc:
        reason = unexpected(exc, "reading the uploaded file")
        ctx.stop.set(reason, fatal=True)
        raise RunAborted(reason) from None
    if page is None:
        return None
    for bad in page.bad:
        ctx.recorder.fail(Failure(stage="get", row=bad.row, message=bad.message))
    counts = Counts(read=page.size, failed=len(page.bad), pages=1)
    return Batch(page.rows, counts)
