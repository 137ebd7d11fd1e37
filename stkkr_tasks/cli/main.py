"""The `stkkr` command: one Typer app, one module per command group."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

app = typer.Typer(
    name="stkkr",
    help="Automate work inside AFAS Profit with stkkr files, run as Prefect flows.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: no `<bool>` type column next to every flag
)

OFFLINE_COMMANDS = frozenset(
    {"schema", "validate", "simulator", "server", "up", "demo", "tenant", "user", "dsr", "invoice"}
)
"""Commands that need no Prefect API, or choose their own (`validate --online` asks for it itself)."""


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"stkkr {version('stkkr')}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's own log lines.")] = False,
    _show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Automate work inside AFAS Profit with stkkr files, run as Prefect flows."""
    from stkkr_tasks.afas.httpx_log import hide_row_values
    from stkkr_tasks.cli._prefect import quiet_prefect, use_prefect

    hide_row_values()  # before any command: httpx's request lines lose the row values in our URLs
    quiet_prefect(verbose)
    asks_help = any(arg in ("--help", "-h") for arg in sys.argv[1:])
    if ctx.invoked_subcommand not in OFFLINE_COMMANDS and not asks_help:
        use_prefect(ctx)


def _register(command: str | None = None) -> None:
    """Attach the command group of `command` (None: all of them); each module exposes `register(app)`."""
    from stkkr_tasks.cli import _groups

    for module in _groups.modules(command):
        module.register(app)


def _command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first argument that is not an option), if any."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main() -> None:
    """Entry point of the console script: expected failures end in one line on stderr, not a traceback."""
    try:
        _main()
    except SystemExit as done:
        _exit_now(done.code)


def _main() -> None:
    from stkkr_tasks.cli._prefect import CONSOLE_LEVEL_ENV, expected_failure

    os.environ.setdefault(CONSOLE_LEVEL_ENV, "CRITICAL")  # before Prefect configures its logging
    _register(_command(sys.argv[1:]))
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        message = expected_failure(exc)
        if message is None:
            raise
        from stkkr_tasks.cli._store import err

        err().print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        raise SystemExit(1) from None


def _exit_now(code: object) -> NoReturn:
    """End the process with `code` after Python's clean-up at exit, without tearing the interpreter down.

    Freeing the thousands of modules and objects Prefect loads took 0.3 to 0.9 CPU s at the end of every
    command (bench/RESULTS.md, issue 15). Threads are joined and exit handlers run as at a normal exit
    (Prefect drains its event and log workers there), the output is flushed, then the process ends.
    """
    if code is None or isinstance(code, int):
        status = code or 0
    else:  # SystemExit("message"): Python prints it and exits with 1
        print(code, file=sys.stderr)
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]  # joins threads, runs their exit hooks
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream
            stream.flush()
    os._exit(status)
