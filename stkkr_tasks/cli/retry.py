"""`stkkr retry NAME [--since 7d] [--dry-run] [--json] [--input PATH]`: run a stkkr over its failed rows.

The stkkr is found by name in the deployments directory and runs in this process, like `stkkr run`, but
only its rows whose key fingerprint matches an open error record are processed (see `run_stkkr`'s
`retry`). Exit status as `stkkr run`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stkkr_tasks.cli.run import ExitCode, execute


def register(app: typer.Typer) -> None:
    """Attach `stkkr retry` to the main app."""
    app.command("retry")(retry)


def retry(
    name: Annotated[str, typer.Argument(help="The stkkr to retry (its name).", show_default=False)],
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only records whose last failure is within this duration, e.g. 7d or 12h."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be retried; write and close nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the summary.")] = False,
    input: Annotated[
        str | None,
        typer.Option("--input", help="The file a stkkr with input: reads again (a path or an fsspec URL)."),
    ] = None,
) -> None:
    """Run a stkkr again over its failed rows only: written rows close their error records, rows that fail
    again update theirs."""
    from stkkr_tasks.cli._store import err
    from stkkr_tasks.spec.files import StkkrFileError, load_stkkr_by_name

    try:
        spec = load_stkkr_by_name(name).spec
    except StkkrFileError as exc:
        err().print(str(exc), style="red", highlight=False, markup=False)
        raise typer.Exit(ExitCode.INVALID) from None
    execute(spec, name, dry_run=dry_run, as_json=as_json, input=input, retry=True, retry_since=since)
