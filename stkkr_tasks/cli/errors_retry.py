"""`stkkr errors retry ID [--edit]`: send a failed write's stored payload (consent only) to AFAS again.

With `--edit`, `$VISUAL` or `$EDITOR` opens a decrypted copy of the request body first: a file of mode 0600
in a private temporary directory, removed with the directory afterwards, also when the editor fails, the
payload is refused or the command is interrupted (Ctrl-C).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from stkkr_tasks.afas.values import decode_json, dumps_json
from stkkr_tasks.cli._store import EXIT_FAILED, fail, out


def retry_error(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The error record's id.")],
    edit: Annotated[
        bool, typer.Option("--edit", help="Open $EDITOR on the decrypted payload first; send what you save.")
    ] = False,
) -> None:
    """Send a failed write's stored payload to AFAS again (needs consent and the payload key); the record is
    closed once AFAS accepts it."""
    from stkkr_tasks.run.resend import ResendRefused, aresend_error

    try:
        outcome = asyncio.run(aresend_error(record_id, edit=edit_in_editor if edit else None))
    except ResendRefused as exc:
        fail(str(exc))
    out().print(outcome.message, markup=False)
    if not outcome.written:
        raise typer.Exit(EXIT_FAILED)


def edit_in_editor(body: dict[str, Any]) -> dict[str, Any]:
    """Let the user edit `body` as JSON in `$VISUAL` or `$EDITOR`; returns the saved version.

    Raises:
        ResendRefused: No editor is set, it failed, or the saved file is not a JSON object (nothing sent).
    """
    from stkkr_tasks.run.resend import ResendRefused

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise ResendRefused("--edit needs an editor: set EDITOR (e.g. EDITOR=nano); nothing was sent")
    directory = tempfile.mkdtemp(prefix="stkkr-payload-")  # mode 0700: editors' swap files land here too
    try:
        path = Path(directory) / "payload.json"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(dumps_json(body, indent=2) + b"\n")  # decimals as the exact numbers sent
        status = subprocess.run([*shlex.split(editor), str(path)], check=False).returncode
        if status != 0:
            raise ResendRefused(f"the editor exited with status {status}; nothing was sent")
        try:
            edited = decode_json(path.read_bytes())
        except json.JSONDecodeError as exc:
            raise ResendRefused(
                f"the edited payload is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                "nothing was sent"
            ) from None
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if not isinstance(edited, dict):
        raise ResendRefused("the edited payload must be one JSON object, as stored; nothing was sent")
    return edited


def register(errors_app: typer.Typer) -> None:
    """Attach `retry` to the `stkkr errors` group."""
    errors_app.command("retry")(retry_error)
