"""`stkkr consent`: a tenant's consent to storing failed payloads (encrypted), and the payload key."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.cli._store import err, fail, out, print_json, with_store
from stkkr_tasks.store import DEFAULT_TENANT, StoreConfigError, get_payload_key
from stkkr_tasks.store.keys import PAYLOAD_KEY_BLOCK, acreate_payload_key

consent_app = typer.Typer(help="Per-tenant consent to storing the payload of failed rows, encrypted.")


@consent_app.command("set")
def set_consent(
    tenant: Annotated[
        str, typer.Argument(help=f"The tenant; stkkrs without a tenant use {DEFAULT_TENANT!r}.")
    ],
    store_failed_payloads: Annotated[
        bool,
        typer.Option(
            "--store-failed-payloads/--no-store-failed-payloads",
            help="Store (encrypted) the element AFAS refused with its error record, or not.",
        ),
    ],
) -> None:
    """Switch a tenant's consent on or off; it applies to error records written from now on."""
    with_store(lambda store: store.set_consent(tenant, store_failed_payloads))
    state = "on" if store_failed_payloads else "off"
    out().print(f"Storing failed payloads for tenant {escape(tenant)!r} is {state}.")
    if store_failed_payloads and _payload_key_missing():
        err().print(
            "[yellow]warning:[/yellow] no payload key is configured, so payloads are not stored yet; "
            "set STKKR_PAYLOAD_KEY or run `stkkr consent create-key`."
        )


@consent_app.command("show")
def show_consent(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show every tenant's stored setting (tenants not listed: off)."""
    settings = with_store(lambda store: store.consents())
    if as_json:
        print_json([s.meta() for s in settings])
        return
    if not settings:
        out().print("No tenant has a setting: failed payloads are not stored for anyone.")
        return
    table = Table("tenant", "store failed payloads", "updated (UTC)")
    for s in settings:
        flag = "yes" if s.store_failed_payloads else "no"
        table.add_row(escape(s.tenant), flag, f"{s.updated_at:%Y-%m-%d %H:%M}")
    out().print(table)


@consent_app.command("create-key")
def create_key() -> None:
    """Generate the payload key and save it as the Prefect Secret block `stkkr-payload-key`."""
    try:
        asyncio.run(acreate_payload_key())
    except StoreConfigError as exc:
        fail(str(exc))
    out().print(
        f"Created the payload key in the Prefect Secret block {PAYLOAD_KEY_BLOCK!r}. "
        "Back it up (`stkkr consent export-key > payload.key`): stored payloads cannot be read without it."
    )


@consent_app.command("export-key")
def export_key() -> None:
    """Print the payload key on stdout, for a backup (`stkkr consent export-key > payload.key`).

    Restore it with `STKKR_PAYLOAD_KEY=$(cat payload.key)`, or by saving it as the Secret block again.
    """
    try:
        key = get_payload_key()
    except StoreConfigError as exc:
        fail(str(exc))
    if key is None:
        fail("there is no payload key to export; create one with `stkkr consent create-key`")
    typer.echo(key.decode("ascii"))
    if sys.stdout.isatty():
        err().print("[yellow]warning:[/yellow] this key reads every stored payload; keep the copy safe.")


def _payload_key_missing() -> bool:
    try:
        return get_payload_key() is None
    except StoreConfigError as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    """Attach `stkkr consent` to the main app."""
    app.add_typer(consent_app, name="consent")
