"""`stkkr connection set|test|list`: save an AFAS connection as a Prefect block, check that its token works.

The token is read from a file, from stdin, or typed at a hidden prompt — never from an argument, which
would land in the shell history and the process list.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from stkkr_tasks.afas.urls import EnvironmentType
from stkkr_tasks.names import NAME_RULE, is_name

if TYPE_CHECKING:
    from pydantic import SecretStr

    from stkkr_tasks.seam import ConnectionBlock

_HELP_TOKEN = "File holding the token (full <token> XML or its data part); '-' reads stdin."


connection_app = typer.Typer(
    help="Create, update and test AFAS connections (Prefect blocks).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach `stkkr connection` to the main app."""
    app.add_typer(connection_app, name="connection")


@connection_app.command("set")
def set_connection(
    name: Annotated[str, typer.Argument(help="The block name, e.g. acme-test (lowercase, digits, dashes).")],
    environment: Annotated[str | None, typer.Option(help="The AFAS environment number, e.g. 12345.")] = None,
    type_: Annotated[EnvironmentType, typer.Option("--type", help="The environment type.")] = (
        EnvironmentType.production
    ),
    base_url: Annotated[str | None, typer.Option(help="An explicit base URL (simulator, proxy).")] = None,
    allow_insecure_http: Annotated[
        bool, typer.Option(help="Accept an http:// base URL to another machine (token unencrypted).")
    ] = False,
    token_file: Annotated[str | None, typer.Option(help=_HELP_TOKEN)] = None,
    integration_id: Annotated[str | None, typer.Option(help="The partner IntegrationId header.")] = None,
    language: Annotated[str | None, typer.Option(help="Accept-Language, e.g. nl-nl.")] = None,
    max_concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Requests in flight to this environment from all workers together (8)."),
    ] = None,
) -> None:
    """Create or update the AFAS connection NAME; without a token an existing connection keeps its own."""
    from stkkr_tasks.afas import AfasConfigError
    from stkkr_tasks.afas.limits import DEFAULT_MAX_IN_FLIGHT
    from stkkr_tasks.afas.urls import resolve_base_url
    from stkkr_tasks.connections import ConnectionNotFoundError, ConnectionOutdatedError, load_connection
    from stkkr_tasks.seam import connection_block

    err = Console(stderr=True, soft_wrap=True)
    if not is_name(name):
        _usage(err, f"{name!r} is not a valid connection name: use {NAME_RULE}.")
    if (environment is None) == (base_url is None):
        _usage(err, "Give either --environment (with --type) or --base-url.")
    if base_url is not None:
        try:
            resolve_base_url(base_url=base_url, allow_insecure_http=allow_insecure_http)
        except AfasConfigError as exc:
            _usage(err, f"{exc}.")
    existing: ConnectionBlock | None = None
    outdated = False
    try:
        existing = load_connection(name)
    except ConnectionNotFoundError:
        pass
    except ConnectionOutdatedError as exc:  # its token cannot be kept: a new one is read below
        outdated = True
        err.print(
            f"The connection {name!r} exists but cannot be read (saved by another version of stkkr; "
            f"fields that do not fit: {', '.join(exc.fields)}). It is replaced, with the token given now.",
            highlight=False,
            markup=False,
        )
    token = _read_token(err, token_file, existing)
    connection = connection_block()(
        environment=environment,
        environment_type=type_,
        token=token,
        base_url=base_url,
        allow_insecure_http=allow_insecure_http,
        integration_id=integration_id,
        language=language,
        max_concurrency=max_concurrency or (existing.max_concurrency if existing else DEFAULT_MAX_IN_FLIGHT),
    )
    connection.save(name, overwrite=True)
    verb = "Replaced" if outdated else "Updated" if existing is not None else "Created"
    where = base_url or f"{type_.value} environment {environment}"
    Console(soft_wrap=True).print(
        f"{verb} connection {name!r} ({where}). Check it with `stkkr connection test {name}`.",
        highlight=False,
        markup=False,
    )


@connection_app.command("test")
def test_connection(name: Annotated[str, typer.Argument(help="The connection (block) name.")]) -> None:
    """Ask AFAS for its version with the connection NAME, and say whether the token works."""
    import asyncio

    from stkkr_tasks.connections import ConnectionBlockError, load_connection

    err = Console(stderr=True, soft_wrap=True)
    try:
        connection = load_connection(name)
    except ConnectionBlockError as exc:
        _usage(err, str(exc))
    ok, text = asyncio.run(_check(connection))
    (Console(soft_wrap=True) if ok else err).print(text, highlight=False, markup=False)
    raise typer.Exit(0 if ok else 1)


@connection_app.command("list")
def list_connections(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List the saved AFAS connections: name and where each points (never a token)."""
    import asyncio
    import json

    from rich.table import Table

    from stkkr_tasks.cli._store import out

    rows = asyncio.run(_connections())
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        out().print("No connections yet; create one with `stkkr connection set NAME ...`.", markup=False)
        return
    table = Table("name", "points to", "IntegrationId", "language")
    for row in rows:
        table.add_row(row["name"], row["where"], row["integration_id"] or "", row["language"] or "")
    out().print(table)


async def _connections() -> list[dict[str, str | None]]:
    """Every saved AfasConnection block, by name, without secrets."""
    from prefect import get_client

    from stkkr_tasks.seam import CONNECTION_BLOCK_SLUG

    async with get_client() as client:
        documents = await client.read_block_documents_by_type(CONNECTION_BLOCK_SLUG, include_secrets=False)
    rows = []
    for document in sorted(documents, key=lambda d: d.name or ""):
        data = document.data
        where = (
            data.get("base_url") or f"{data.get('environment_type')} environment {data.get('environment')}"
        )
        rows.append(
            {
                "name": document.name,
                "where": where,
                "integration_id": data.get("integration_id"),
                "language": data.get("language"),
            }
        )
    return rows


async def _check(connection: ConnectionBlock) -> tuple[bool, str]:
    """Call /ProfitVersion; returns whether the token works and what to tell the user."""
    from stkkr_tasks.afas import AfasError
    from stkkr_tasks.tasks import fatal_reason

    try:
        async with connection.get_client() as client:
            where = client.base_url
            version = await client.profit_version()
    except AfasError as exc:  # 401, 403 and unreachable in the words a run uses
        return False, fatal_reason(exc) or f"The connection does not work: {exc}"
    return True, f"The token works: AFAS Profit {version} at {where}."


def _read_token(err: Console, token_file: str | None, existing: ConnectionBlock | None) -> str | SecretStr:
    """The token from the file, stdin or a hidden prompt; an existing connection keeps its token otherwise."""
    if token_file == "-" or (token_file is None and not sys.stdin.isatty()):
        token = sys.stdin.read()
    elif token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8")
        except OSError as exc:
            _usage(err, f"Cannot read the token file {token_file}: {exc.strerror or exc}.")
    elif existing is not None:
        return existing.token
    else:
        token = typer.prompt("AFAS token", hide_input=True)
    token = token.strip()
    if not token:
        _usage(err, "The token is empty.")
    return token


def _usage(err: Console, message: str) -> NoReturn:
    err.print(message, highlight=False, markup=False)
    raise typer.Exit(2)
