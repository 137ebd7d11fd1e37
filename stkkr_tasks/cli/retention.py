"""`stkkr retention`: run the retention flow `prune-error-records` by hand."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, print_json
from stkkr_tasks.store import MAX_RETENTION_DAYS, RetentionPeriodError, check_retention_days


def retention(
    days: Annotated[
        int, typer.Option(help=f"Delete error records older than this many days (1-{MAX_RETENTION_DAYS}).")
    ] = MAX_RETENTION_DAYS,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
    prefect_history_days: Annotated[
        int | None,
        typer.Option(help="Also delete finished Prefect flow runs (and their logs) older than N days."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Records deleted per transaction.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Delete error records older than the retention period (at most 30 days), now."""
    from stkkr_tasks.seam import arun_retention

    try:
        check_retention_days(days)
    except RetentionPeriodError as exc:
        fail(str(exc), EXIT_USAGE)
    if prefect_history_days is not None and prefect_history_days < 1:
        fail("--prefect-history-days must be at least 1", EXIT_USAGE)
    counts = asyncio.run(
        arun_retention(
            days=days, batch_size=batch_size, dry_run=dry_run, prefect_history_days=prefect_history_days
        )
    )
    if as_json:
        print_json(counts)
        return
    verb = "Would delete" if dry_run else "Deleted"
    out().print(f"{verb} {counts['error_records']} error records older than {days} days.")
    if counts["run_once_keys"]:
        out().print(f"{verb} {counts['run_once_keys']} run-once keys of stkkrs that no longer exist.")
    if counts["flow_runs"] is not None:
        history = f"Prefect flow runs older than {prefect_history_days} days"
        out().print(f"{verb} {counts['flow_runs']} {history}.")


def register(app: typer.Typer) -> None:
    """Attach `stkkr retention` to the main app."""
    app.command("retention")(retention)
