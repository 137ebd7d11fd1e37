"""Helpers shared by the customer commands (`tenant`, `user`, `invoice`, `dsr`)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, TypeVar

import typer

from stkkr_tasks.cli._store import EXIT_USAGE, fail, with_store
from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore

T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def with_tenants(action: Callable[[TenantStore], Awaitable[T]]) -> T:
    """Run `action` on the customers of the stkkr database; a refused action becomes a clear message.

    Exit status 2 when something named does not exist or was refused, 1 when the database failed.
    """

    async def run(store: ErrorStore) -> T:
        try:
            return await action(TenantStore(store))
        except ValueError as exc:  # TenantError, or a password that is too short
            fail(str(exc), EXIT_USAGE)

    return with_store(run)


def read_password(confirm: bool = True) -> str:
    """A new password from a hidden prompt (asked twice), or the first line of stdin when piped.

    A password is never taken from the command line: it would show in the shell history and `ps`.
    """
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password given (type it at the prompt or pipe it on stdin)", EXIT_USAGE)
    return password


def parse_date(value: str | None, option: str) -> date | None:
    """`YYYY-MM-DD` as a date (None stays None); anything else is a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)
