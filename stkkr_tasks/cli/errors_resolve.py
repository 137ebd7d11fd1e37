"""`stkkr errors resolve`: settle a write whose outcome is unknown, and the run-once key it keeps reserved."""

from __future__ import annotations

from typing import Annotated

import typer

from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, with_store
from stkkr_tasks.store import ErrorStore


def resolve_error(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The error record's id.")],
    written: Annotated[
        bool | None,
        typer.Option(
            "--written/--not-written",
            help="The record is in AFAS (never write the row again) / it is not (the next run writes it).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Settle an error record once you checked AFAS; its reserved `unique` key is marked done or released."""
    if written is None:
        fail("say what you found in AFAS: --written or --not-written", EXIT_USAGE)
    found_in_afas = written

    async def resolve(store: ErrorStore) -> bool | None:
        try:
            return await store.resolve_error(record_id, written=found_in_afas)
        except LookupError:
            return None

    settled = with_store(resolve)
    if settled is None:
        fail(f"no error record with id {record_id} (it may have been pruned after 30 days)")
    verdict = "written" if written else "not written"
    if not settled:
        out().print(f"Error record {record_id} marked as {verdict}; it held no reserved run-once key.")
    elif written:
        out().print(f"Error record {record_id} resolved as written: no run writes the row again.")
    else:
        out().print(f"Error record {record_id} resolved as not written: the next run writes the row.")


def register(errors_app: typer.Typer) -> None:
    """Attach `resolve` to the `stkkr errors` group."""
    errors_app.command("resolve")(resolve_error)
