"""`stkkr server status|start|stop`: the persistent local Prefect server under $STKKR_HOME.

Commands start it by themselves when PREFECT_API_URL is not set; these commands look at it and stop it.
Exit status of `status`: 0 it runs, 1 it does not.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stkkr_tasks.cli._store import fail, out

server_app = typer.Typer(
    help="The local Prefect server under $STKKR_HOME that commands use without PREFECT_API_URL.",
    no_args_is_help=True,
)


@server_app.command("status")
def server_status() -> None:
    """Say whether the local server runs, where, and where its state and key are."""
    from stkkr_tasks.localserver import key_file, status
    from stkkr_tasks.localstack import prefect_home

    server = status()
    if server is None:
        out().print(f"The local Prefect server does not run (state in {prefect_home()}).", markup=False)
        raise typer.Exit(1)
    out().print(f"The local Prefect server runs at {server.ui} (pid {server.pid}).", markup=False)
    out().print(f"State: {prefect_home()}; block encryption key: {key_file()}.", markup=False)


@server_app.command("start")
def server_start(
    port: Annotated[int | None, typer.Option("--port", help="Port (default 4200, or a free one).")] = None,
) -> None:
    """Start the local server in the background (commands also do this on first use)."""
    from stkkr_tasks.localserver import ensure_running
    from stkkr_tasks.localstack import LocalStackError

    try:
        server = ensure_running(port=port, on_start=lambda line: out().print(line, markup=False))
    except LocalStackError as exc:
        fail(f"the local Prefect server did not start: {exc}")
    out().print(f"The local Prefect server runs at {server.ui} (pid {server.pid}).", markup=False)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local server (the next command that needs it starts it again)."""
    from stkkr_tasks.localserver import stop_server

    stopped = stop_server()
    if stopped is None:
        out().print("The local Prefect server was not running.")
        return
    out().print(f"Stopped the local Prefect server at {stopped.ui}.", markup=False)


def register(app: typer.Typer) -> None:
    """Attach `stkkr server` to the main app."""
    app.add_typer(server_app, name="server")
