"""`stkkr user`: portal users of a tenant, or operators; passwords from a hidden prompt or stdin."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.cli._store import EXIT_USAGE, err, fail, out, print_json
from stkkr_tasks.cli._tenants import JsonOption, read_password, with_tenants

user_app = typer.Typer(help="Portal users: Argon2id-hashed passwords, API tokens.", no_args_is_help=True)
Username = Annotated[str, typer.Argument(help="The username.")]


@user_app.command("add")
def add(
    username: Username,
    tenant: Annotated[str | None, typer.Option(help="The user's tenant.")] = None,
    operator: Annotated[bool, typer.Option("--operator", help="An operator: sees every tenant.")] = False,
    email: Annotated[str | None, typer.Option(help="The user's e-mail (personal data).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a user; the password is read from a hidden prompt, or from stdin when piped."""
    if operator == (tenant is not None):
        fail("give either --tenant T or --operator", EXIT_USAGE)
    password = read_password()
    user = with_tenants(lambda store: store.add_user(username, tenant, password, email=email))
    if as_json:
        print_json(user.meta())
    else:
        out().print(f"Added user {escape(username)!r} ({'operator' if operator else f'tenant {tenant}'}).")


@user_app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's users.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List users (never their hashes)."""
    users = with_tenants(lambda store: store.list_users(tenant))
    if as_json:
        print_json([u.meta() for u in users])
        return
    table = Table("username", "tenant", "e-mail", "last login (UTC)", "locked until (UTC)", "API token")
    for u in users:
        login = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "-"
        locked = f"{u.locked_until:%Y-%m-%d %H:%M}" if u.locked_until else ""
        token = "yes" if u.api_token_hash else ""
        table.add_row(
            escape(u.username), escape(u.tenant or "(operator)"), escape(u.email or "-"), login, locked, token
        )
    out().print(table)


@user_app.command("passwd")
def passwd(username: Username) -> None:
    """Set a new password (and unlock the account)."""
    password = read_password()
    with_tenants(lambda store: store.set_password(username, password))
    out().print(f"Changed the password of {escape(username)!r}.")


@user_app.command("token")
def token(username: Username, as_json: JsonOption = False) -> None:
    """Create an API token for the portal's JSON API (replaces the old one); it is shown only this once."""
    value = with_tenants(lambda store: store.create_api_token(username))
    if as_json:
        print_json({"username": username, "api_token": value})
        return
    err().print(
        "The token is shown only now; stkkr keeps only its hash. Use it as `Authorization: Bearer <token>`."
    )
    typer.echo(value)


@user_app.command("remove")
def remove(username: Username) -> None:
    """Remove a user with their login audit and sessions."""
    with_tenants(lambda store: store.remove_user(username))
    out().print(f"Removed user {escape(username)!r}.")


def register(app: typer.Typer) -> None:
    """Attach `stkkr user` to the main app."""
    app.add_typer(user_app, name="user")
