"""`stkkr portal`: serve the tenant portal (FastAPI + uvicorn) until Ctrl-C."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from stkkr_tasks.cli._store import err
from stkkr_tasks.portal import DEFAULT_HOST, DEFAULT_PORT


def portal(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
) -> None:
    """Serve the tenant portal: customers see their stkkrs, runs, error records, consent and their data."""
    from stkkr_tasks.portal import serve

    err().print(
        f"stkkr portal on http://{host}:{port}/ (JSON API under /api/, described at /api/openapi.json); "
        "Ctrl-C stops it."
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(host, port)


def register(app: typer.Typer) -> None:
    """Attach `stkkr portal` to the main app."""
    app.command("portal")(portal)
