"""`stkkr run-once`: the run-once keys of `unique` stkkrs and the fingerprint key they are made with."""

from __future__ import annotations

from typing import Annotated

import typer

from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, with_store
from stkkr_tasks.store.keys import get_fingerprint_key

run_once_app = typer.Typer(help="Run-once keys of stkkrs with `unique`, per AFAS environment.")


@run_once_app.command("reset-key")
def reset_key(
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: every `unique` row may be written again.")
    ] = False,
) -> None:
    """Accept the current fingerprint key after the old one was lost for good; forgets every run-once key.

    Restore the old key instead whenever you can (see the message of the refused run): without its
    run-once keys a stkkr writes every `unique` row again.
    """
    if not yes:
        fail(
            "this forgets every run-once key, so stkkrs with `unique` write their rows again; "
            "restore the old fingerprint key if you can, or repeat with --yes",
            EXIT_USAGE,
        )
    secret = get_fingerprint_key()
    with_store(lambda store: store.check_fingerprint_key(secret, replace=True))
    out().print(
        "The current fingerprint key is now the key of this stkkr database; run-once keys made with the "
        "old key are forgotten."
    )


def register(app: typer.Typer) -> None:
    """Attach `stkkr run-once` to the main app."""
    app.add_typer(run_once_app, name="run-once")
