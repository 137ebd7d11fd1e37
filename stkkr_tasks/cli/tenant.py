"""`stkkr tenant`: the customers an operator runs stkkrs for, with contact person and licence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, print_json
from stkkr_tasks.cli._tenants import JsonOption, parse_date, with_tenants
from stkkr_tasks.tenants import Tenant, TenantStore, dsr

tenant_app = typer.Typer(
    help="Customers (tenants): contact person, licence, last interaction.", no_args_is_help=True
)

Name = Annotated[str | None, typer.Option(help="The customer's name (default: the id).")]
ContactName = Annotated[str | None, typer.Option(help="Contact person's name (personal data).")]
ContactEmail = Annotated[str | None, typer.Option(help="Contact person's e-mail (personal data).")]
ContactPhone = Annotated[str | None, typer.Option(help="Contact person's phone (personal data).")]
Plan = Annotated[str | None, typer.Option(help="Licence plan, e.g. basic or pro.")]
LicenceFrom = Annotated[str | None, typer.Option(help="Licence valid from (YYYY-MM-DD).")]
LicenceUntil = Annotated[str | None, typer.Option(help="Licence valid until (YYYY-MM-DD), inclusive.")]


TenantId = Annotated[str, typer.Argument(help="The tenant id: the `tenant:` of its stkkr files.")]
#: Saves a tenant's fields (`add_tenant` or `set_tenant`) and gives the tenant back.
Save = Callable[[TenantStore, str, dict[str, Any]], Awaitable[Tenant]]


def _fields(**options: Any) -> dict[str, Any]:
    fields = {k: v for k, v in options.items() if v is not None and not k.startswith("licence")}
    for key in ("licence_from", "licence_until"):
        if options[key] is not None:
            fields[key] = parse_date(options[key], "--" + key.replace("_", "-"))
    return fields


def _fields_command(save: Save, done: str, *, need_fields: bool) -> Callable[..., None]:
    """The command of `add` or `set`: the tenant id and its field options, saved with `save`.

    Args:
        save: Saves the given fields.
        done: The line printed after, with `{id}` and `{fields}` (the names of the fields given).
        need_fields: Refuse a call without any field option.
    """

    def command(
        tenant_id: TenantId,
        name: Name = None,
        contact_name: ContactName = None,
        contact_email: ContactEmail = None,
        contact_phone: ContactPhone = None,
        plan: Plan = None,
        licence_from: LicenceFrom = None,
        licence_until: LicenceUntil = None,
        as_json: JsonOption = False,
    ) -> None:
        fields = _fields(
            name=name,
            contact_name=contact_name,
            contact_email=contact_email,
            contact_phone=contact_phone,
            plan=plan,
            licence_from=licence_from,
            licence_until=licence_until,
        )
        if need_fields and not fields:
            fail("nothing to change: give at least one option (see --help)", EXIT_USAGE)
        tenant = with_tenants(lambda store: save(store, tenant_id, fields))
        if as_json:
            print_json(tenant.meta())
        else:
            out().print(done.format(id=repr(escape(tenant.id)), fields=", ".join(sorted(fields))))

    return command


tenant_app.command("add", help="Add a tenant.")(
    _fields_command(
        lambda store, tenant_id, fields: store.add_tenant(tenant_id, **fields),
        "Added tenant {id}.",
        need_fields=False,
    )
)
tenant_app.command("set", help="Change a tenant's fields (only those given).")(
    _fields_command(TenantStore.set_tenant, "Changed tenant {id}: {fields}.", need_fields=True)
)


@tenant_app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """List the tenants."""
    tenants = with_tenants(lambda store: store.list_tenants())
    if as_json:
        print_json([t.meta() for t in tenants])
        return
    if not tenants:
        out().print("No tenants yet: add one with `stkkr tenant add ID`.")
        return
    table = Table("id", "name", "plan", "licence until", "last interaction (UTC)", "purged")
    for t in tenants:
        until = t.licence_until.isoformat() if t.licence_until else "-"
        purged = f"{t.purged_at:%Y-%m-%d}" if t.purged_at else ""
        table.add_row(
            escape(t.id),
            escape(t.name),
            escape(t.plan or "-"),
            until,
            f"{t.last_interaction_at:%Y-%m-%d %H:%M}",
            purged,
        )
    out().print(table)


@tenant_app.command("show")
def show(
    tenant_id: Annotated[str, typer.Argument(help="The tenant id.")], as_json: JsonOption = False
) -> None:
    """Show a tenant with its users, invoices and open requests."""

    async def gather(store: TenantStore) -> dict[str, Any]:
        tenant = await store.get_tenant(tenant_id)
        return {
            **tenant.meta(),
            "users": [u.username for u in await store.list_users(tenant_id)],
            "invoices": len(await store.list_invoices(tenant_id)),
            "open_requests": len(await dsr.list_requests(store, tenant=tenant_id, open_only=True)),
            "store_failed_payloads": await store.store.consent(tenant_id),
        }

    data = with_tenants(gather)
    if as_json:
        print_json(data)
        return
    table = Table("field", "value", show_header=False)
    for key, value in data.items():
        shown = ", ".join(value) if isinstance(value, list) else "-" if value is None else str(value)
        table.add_row(key, escape(shown))
    out().print(table)


@tenant_app.command("remove")
def remove(
    tenant_id: Annotated[str, typer.Argument(help="The tenant id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a tenant with its users and consent setting (refused while it has invoices)."""
    if not yes and not typer.confirm(f"Remove tenant {tenant_id!r} and its users?"):
        raise typer.Exit(1)
    with_tenants(lambda store: store.remove_tenant(tenant_id))
    out().print(f"Removed tenant {escape(tenant_id)!r}.")


def register(app: typer.Typer) -> None:
    """Attach `stkkr tenant` to the main app."""
    app.add_typer(tenant_app, name="tenant")
