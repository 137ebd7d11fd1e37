"""`stkkr deploy`, `stkkr serve`, `stkkr up`: stkkrs as Prefect deployments on their schedules, with alerts.

Exit status: 0 done; 2 a stkkr file is invalid, a path is wrong or an alert's block is missing (nothing
deployed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stkkr_tasks.cli._store import err as console_err
from stkkr_tasks.cli._store import out as console_out
from stkkr_tasks.deploy.deploy import DEFAULT_WORK_POOL

_PATHS = typer.Argument(
    help="Stkkr files or directories (default: the deployments directory).", show_default=False
)
_NO_RETENTION = typer.Option("--no-retention", help="Leave out the nightly retention flow.")


def register(app: typer.Typer) -> None:
    """Attach `stkkr deploy`, `stkkr serve` and `stkkr up` to the main app."""
    app.command("deploy")(deploy)
    app.command("serve")(serve)
    app.command("up")(up)


def deploy(
    paths: Annotated[list[Path] | None, _PATHS] = None,
    work_pool: Annotated[str, typer.Option("--work-pool", help="Process work pool (created if missing).")] = (
        DEFAULT_WORK_POOL
    ),
    no_retention: Annotated[bool, _NO_RETENTION] = False,
    write_prefect_yaml: Annotated[
        bool,
        typer.Option(
            "--write-prefect-yaml",
            help="Only write prefect.yaml (for `prefect deploy --all`); deploy nothing.",
        ),
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Deploy without checking each file against its AFAS first.")
    ] = False,
) -> None:
    """Create or update one Prefect deployment per stkkr file (with its schedule) on the current API."""
    from stkkr_tasks.deploy import deploy as deploy_stkkrs
    from stkkr_tasks.deploy import schedules
    from stkkr_tasks.deploy import write_prefect_yaml as write_yaml

    out = console_out()
    with _refusing_bad_files():
        if write_prefect_yaml:
            target = write_yaml(paths, work_pool=work_pool)
            out.print(f"Wrote {target}")
            return
        if not offline:
            _refuse_online_problems(paths)
        done = deploy_stkkrs(paths, work_pool=work_pool, retention=not no_retention)
    table = Table(title=f"Deployments on work pool {work_pool!r}")
    for column in ("deployment", "schedule", "schedule changed", "alerts changed"):
        table.add_column(column)
    for item in done:
        alerts = "-" if item.alerts is None else ("yes" if item.alerts.changed else "no")
        table.add_row(
            item.name, schedules.describe(item.schedules), "yes" if item.schedule_changed else "no", alerts
        )
    out.print(table)
    from stkkr_tasks.deploy.pollers import pool_has_workers

    if not pool_has_workers(work_pool):
        console_err().print(
            f"[yellow]warning:[/yellow] nothing will run these yet: no worker polls pool {work_pool!r}. "
            f"Start one: [bold]prefect worker start --pool {work_pool}[/bold] (or use `stkkr serve`)."
        )


def _refuse_online_problems(paths: list[Path] | None) -> None:
    """Check every file as `stkkr validate --online` does; exit 2 (nothing deployed) when one fails."""
    from stkkr_tasks.cli.spec import check_files
    from stkkr_tasks.spec.files import deployments_dir

    if not check_files(paths or [deployments_dir()], online=True):
        console_err().print(
            "Nothing was deployed: fix the problems above (`--offline` deploys without the AFAS check).",
            style="red",
            markup=False,
        )
        raise typer.Exit(2)


def serve(
    paths: Annotated[list[Path] | None, _PATHS] = None,
    no_retention: Annotated[bool, _NO_RETENTION] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many runs at once.")] = None,
) -> None:
    """Serve every stkkr deployment in this process until Ctrl-C (single-machine setup)."""
    from stkkr_tasks.deploy import serve as serve_stkkrs

    with _refusing_bad_files():
        serve_stkkrs(paths, retention=not no_retention, limit=limit)


def up(
    port: Annotated[int, typer.Option("--port", help="Port of the Prefect server and UI.")] = 4200,
    simulator_port: Annotated[int, typer.Option("--simulator-port", help="Port of the simulator.")] = 8700,
    rows: Annotated[int, typer.Option("--rows", help="Rows per connector in the simulator.")] = 1000,
) -> None:
    """Start a local Prefect server, the simulator and `stkkr serve` for the examples; Ctrl-C stops all."""
    from stkkr_tasks.deploy.up import UpError, run_stack

    try:
        run_stack(port=port, simulator_port=simulator_port, rows=rows, console=console_out())
    except UpError as exc:
        console_err().print(str(exc), style="red", markup=False)
        raise typer.Exit(1) from None


@contextmanager
def _refusing_bad_files() -> Iterator[None]:
    """Turn invalid stkkr files and wrong paths into a clear message and exit status 2."""
    from stkkr_tasks.deploy import DeployError, StkkrFileError
    from stkkr_tasks.deploy.alerts import AlertBlockError
    from stkkr_tasks.spec import SpecError

    try:
        yield
    except (SpecError, DeployError, StkkrFileError, AlertBlockError) as exc:
        console_err().print(str(exc), style="red", highlight=False, markup=False)
        raise typer.Exit(2) from None
