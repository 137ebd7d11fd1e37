"""`stkkr errors`: list and show error records (meta-information; the payload only on request, decrypted)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.afas.values import dumps_json
from stkkr_tasks.cli import errors_resolve, errors_retry
from stkkr_tasks.cli._store import EXIT_USAGE, fail, out, print_json, with_store
from stkkr_tasks.cli._store_scope import key_lookup
from stkkr_tasks.store import ErrorRecord, PayloadKeyError, decrypt_payload, get_payload_key

errors_app = typer.Typer(help="Error records of failed rows: meta-information only, kept at most 30 days.")
errors_resolve.register(errors_app)
errors_retry.register(errors_app)


@errors_app.command("list")
def list_errors(
    stkkr: Annotated[str | None, typer.Option("--stkkr", help="Only this stkkr's records.")] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help=(
                "A row's key value(s), in key order (repeat); needs --stkkr. `--key -` reads them from "
                "stdin, one per line, or asks for them without echo when stdin is a terminal, so they stay "
                "out of the shell history."
            ),
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many records, newest first.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    connection: Annotated[
        str | None,
        typer.Option("--connection", help="Only records of writes to this connection's AFAS environment."),
    ] = None,
) -> None:
    """List error records, newest first."""
    if key and stkkr is None:
        fail("--key needs --stkkr: a row key is fingerprinted together with its stkkr's name", EXIT_USAGE)
    values = list(_key_values(key)) if key and stkkr else None
    row_key, environment = key_lookup(stkkr, values, connection)
    records = with_store(
        lambda store: store.list_errors(stkkr=stkkr, limit=limit, row_key=row_key, environment=environment)
    )
    if as_json:
        print_json([record.meta() for record in records])
        return
    if not records:
        out().print("No error records.")
        return
    table = Table("id", "created (UTC)", "stkkr", "tenant", "stage", "HTTP", "AFAS error", "message")
    table.add_column("payload")
    table.add_column("retries")
    for record in records:
        table.add_row(
            str(record.id),
            f"{record.created_at:%Y-%m-%d %H:%M:%S}",
            escape(record.stkkr),
            escape(record.tenant),
            record.stage,
            _text(record.http_status),
            _text(record.error_number),
            escape(record.message),
            "encrypted" if record.has_payload else "",
            _retries(record),
        )
    out().print(table)


@errors_app.command("show")
def show_error(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The error record's id.")],
    payload: Annotated[
        bool, typer.Option("--payload", help="Also decrypt and show the stored payload (needs the key).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one error record; with --payload also its decrypted payload."""
    record = with_store(lambda store: store.get_error(record_id))
    if record is None:
        fail(f"no error record with id {record_id} (it may have been pruned after 30 days)")
    data = record.meta()
    if payload:
        data["payload"] = _decrypt(record)
    if as_json and payload:  # its decimals as the exact numbers that were sent
        typer.echo(dumps_json(data, indent=2).decode("utf-8"))
        return
    if as_json:
        print_json(data)
        return
    for name, value in data.items():
        if name != "payload":
            out().print(f"[bold]{name}[/bold]: {escape(_text(value))}")
    if payload:
        out().print("[bold]payload[/bold]:")
        out().print(dumps_json(data["payload"], indent=2).decode("utf-8"), markup=False)


def _retries(record: ErrorRecord) -> str:
    """How often `stkkr retry` failed again on the record's row, and when last (UTC); empty if never."""
    if not record.retries or record.retried_at is None:
        return ""
    return f"{record.retries} (last {record.retried_at:%m-%d %H:%M})"


def _key_values(key: list[str]) -> tuple[str, ...]:
    """The key values as given, or, for `--key -`, read from stdin or asked for without echo."""
    if key != ["-"]:
        return tuple(key)
    if _stdin_is_terminal():
        values: list[str] = []
        while value := typer.prompt(
            f"Key value {len(values) + 1} (Enter when done)", default="", show_default=False, hide_input=True
        ):
            values.append(value)
    else:
        values = [line.rstrip("\r\n") for line in sys.stdin]
        while values and not values[-1]:
            values.pop()
    if not values:
        fail("--key - read no key values (give one per line, in key order)", EXIT_USAGE)
    return tuple(values)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _decrypt(record: ErrorRecord) -> object:
    if record.payload_encrypted is None:
        reason = "consent was on but no payload key was configured" if record.consent else "consent was off"
        fail(f"error record {record.id} has no stored payload ({reason} when it was written)")
    try:
        return decrypt_payload(record.payload_encrypted, get_payload_key())
    except PayloadKeyError as exc:
        fail(str(exc))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def register(app: typer.Typer) -> None:
    """Attach `stkkr errors` to the main app."""
    app.add_typer(errors_app, name="errors")
