"""The `stkkr` command: one Typer app, one module per command group."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="stkkr",
    help="Automate work inside AFAS Profit with stkkr files, run as Prefect flows.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _configure() -> None:
    """Set up logging before any command: httpx's request lines lose the row values in our URLs."""
    from stkkr_tasks.afas.httpx_log import hide_row_values

    hide_row_values()


def _register() -> None:
    """Attach every command group; each module exposes `register(app)`."""
    from stkkr_tasks.cli import _groups

    for module in _groups.modules():
        module.register(app)


def main() -> None:
    """Entry point of the console script."""
    _register()
    app()
