"""Helpers shared by the CLI commands of the stkkr database (`errors`, `consent`, `retention`)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from stkkr_tasks.store import ErrorStore

T = TypeVar("T")

EXIT_FAILED = 1
EXIT_USAGE = 2


PIPE_WIDTH = 10_000
"""Width of output that is not a terminal (a pipe, a CI log): tables keep full values, lines stay whole."""


def out() -> Console:
    """A console on stdout (made per call, so it follows the current terminal width and output stream)."""
    return _console(stderr=False)


def err() -> Console:
    """A console on stderr."""
    return _console(stderr=True)


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(stderr=stderr, highlight=False, width=PIPE_WIDTH)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print `message` on stderr and exit with `code`."""
    err().print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def with_store(action: Callable[[ErrorStore], Awaitable[T]]) -> T:
    """Open the stkkr database, run `action` on it, close it; store errors become a clear exit 1."""
    # Every command imports this module for its consoles; SQLAlchemy was a fifth of `connection set`'s.
    # lazy: the stkkr database loads only for the commands that use it
    from stkkr_tasks.store import ErrorStore, StoreError

    async def run() -> T:
        async with ErrorStore() as store:
            return await action(store)

    try:
        return asyncio.run(run())
    except StoreError as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    """Print `data` as JSON on stdout, nothing else."""
    typer.echo(json.dumps(data, indent=2, default=str))
