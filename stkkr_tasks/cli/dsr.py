"""`stkkr dsr`: data-subject requests (access, rectify, erase), due 5 Dutch working days after receipt."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, print_json
from stkkr_tasks.cli._tenants import JsonOption, with_tenants
from stkkr_tasks.tenants import REQUEST_KINDS, dsr

dsr_app = typer.Typer(
    help="Data-subject requests: see, correct or delete a person's data within 5 working days.",
    no_args_is_help=True,
)
RequestId = Annotated[int, typer.Argument(help="The request id (see `stkkr dsr list`).")]


@dsr_app.command("open")
def open_(
    tenant: Annotated[str, typer.Option(help="The tenant the person belongs to.")],
    kind: Annotated[str, typer.Option(help=f"One of {', '.join(REQUEST_KINDS)}.")],
    subject: Annotated[str, typer.Option(help="The person's e-mail address.")],
    as_json: JsonOption = False,
) -> None:
    """Record a request received today; it is due 5 Dutch working days later."""
    request = with_tenants(lambda store: dsr.open_request(store, tenant, kind, subject))
    if as_json:
        print_json(request.meta())
    else:
        out().print(f"Request {request.id} ({request.kind}) is due on {request.due_on:%A %d %B %Y}.")


@dsr_app.command("list")
def list_(
    open_only: Annotated[bool, typer.Option("--open", help="Only open requests.")] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only open requests past their due date.")
    ] = False,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's requests.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List requests by due date."""
    today = dsr.today_in_amsterdam()
    overdue_on = today if overdue else None
    requests = with_tenants(
        lambda store: dsr.list_requests(store, tenant=tenant, open_only=open_only, overdue_on=overdue_on)
    )
    if as_json:
        print_json([r.meta(today) for r in requests])
        return
    if not requests:
        out().print("No requests.")
        return
    table = Table("id", "tenant", "kind", "subject", "received", "due", "status")
    for r in requests:
        status = "closed" if not r.is_open else "[red]overdue[/red]" if r.overdue(today) else "open"
        subject = escape(r.subject or "(erased)")
        table.add_row(str(r.id), escape(r.tenant), r.kind, subject, str(r.received_on), str(r.due_on), status)
    out().print(table)


@dsr_app.command("export")
def export(
    request_id: RequestId,
    out_file: Annotated[Path, typer.Option("--out", help="The JSON file to write (readable by you only).")],
) -> None:
    """Write every item held about the request's subject to a JSON file; marks the request answered."""
    data = with_tenants(lambda store: dsr.export_request(store, request_id))
    descriptor = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
    out().print(f"Wrote the data of request {request_id} to {escape(str(out_file))}; send it to the person.")


@dsr_app.command("rectify")
def rectify(
    request_id: RequestId,
    contact_name: Annotated[str | None, typer.Option(help="Correct the contact person's name.")] = None,
    contact_email: Annotated[str | None, typer.Option(help="Correct the contact person's e-mail.")] = None,
    contact_phone: Annotated[str | None, typer.Option(help="Correct the contact person's phone.")] = None,
    email: Annotated[
        str | None, typer.Option(help="Correct the e-mail of the person's user accounts.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Correct the subject's data; marks the request answered."""
    changes = {k: v for k, v in locals().items() if k not in ("request_id", "as_json") and v is not None}
    if not changes:
        fail("nothing to correct: give at least one option (see --help)", EXIT_USAGE)
    changed = with_tenants(lambda store: dsr.rectify_request(store, request_id, changes))
    if as_json:
        print_json({"id": request_id, "changed": changed})
    else:
        out().print(f"Corrected {changed} record(s) of request {request_id}.")


@dsr_app.command("erase")
def erase(request_id: RequestId, as_json: JsonOption = False) -> None:
    """Erase the subject's data (user accounts, contact person); invoices are kept with the name replaced."""
    counts = with_tenants(lambda store: dsr.erase_request(store, request_id))
    if as_json:
        print_json({"id": request_id, **counts})
        return
    out().print(
        f"Erased {counts['user_accounts']} user account(s) and {counts['contact_person']} contact person; "
        f"{counts['invoices_anonymised']} invoice(s) kept without the name."
    )


@dsr_app.command("close")
def close(request_id: RequestId, as_json: JsonOption = False) -> None:
    """Close a request (an erase request then forgets the person's address)."""
    request = with_tenants(lambda store: dsr.close_request(store, request_id))
    if as_json:
        print_json(request.meta())
    else:
        out().print(f"Closed request {request_id}.")


def register(app: typer.Typer) -> None:
    """Attach `stkkr dsr` to the main app."""
    app.add_typer(dsr_app, name="dsr")
