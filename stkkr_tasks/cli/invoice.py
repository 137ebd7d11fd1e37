"""`stkkr invoice`: invoices of a tenant, kept 7 years after their date."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, print_json
from stkkr_tasks.cli._tenants import JsonOption, parse_date, with_tenants

invoice_app = typer.Typer(
    help="Invoices: kept 7 years (tax law), anonymised when the person is erased.", no_args_is_help=True
)


@invoice_app.command("add")
def add(
    tenant: Annotated[str, typer.Option(help="The tenant invoiced.")],
    number: Annotated[str, typer.Option(help="The invoice number (unique).")],
    date: Annotated[str, typer.Option(help="The invoice date (YYYY-MM-DD).")],
    amount: Annotated[str, typer.Option(help="The amount, e.g. 1210.00.")],
    addressee: Annotated[str | None, typer.Option(help="The person invoiced (personal data).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add an invoice."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        fail(f"--amount: {amount!r} is not a number", EXIT_USAGE)
    day = parse_date(date, "--date")
    assert day is not None
    invoice = with_tenants(lambda store: store.add_invoice(tenant, number, day, value, addressee=addressee))
    if as_json:
        print_json(invoice.meta())
    else:
        out().print(f"Added invoice {escape(number)!r} of tenant {escape(tenant)!r}.")


@invoice_app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's invoices.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List invoices by date."""
    invoices = with_tenants(lambda store: store.list_invoices(tenant))
    if as_json:
        print_json([i.meta() for i in invoices])
        return
    table = Table("number", "tenant", "date", "amount", "addressee")
    for i in invoices:
        table.add_row(
            escape(i.number), escape(i.tenant), i.date.isoformat(), str(i.amount), escape(i.addressee or "-")
        )
    out().print(table)


def register(app: typer.Typer) -> None:
    """Attach `stkkr invoice` to the main app."""
    app.add_typer(invoice_app, name="invoice")
