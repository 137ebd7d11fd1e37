"""`stkkr trigger NAME` and `stkkr history [NAME]`: start a stkkr's deployment, list its last runs.

Exit status of `trigger --wait`: as `stkkr run` (0 all written, 1 rows failed, 2 the stkkr does not fit the
AFAS environment, 3 run failed); 4 when the stkkr has no deployment, nothing polls it (no `stkkr serve` or
worker: said at once, no run is started) or the run did not end within `--timeout`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stkkr_tasks.cli._store import err, out

_NOT_TRIGGERED = 4


def register(app: typer.Typer) -> None:
    """Attach `stkkr trigger` and `stkkr history` to the main app."""
    app.command("trigger")(trigger)
    app.command("history")(history)


def trigger(
    name: Annotated[str, typer.Argument(help="The stkkr to start.", show_default=False)],
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the run and show its summary.")] = (
        True
    ),
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the run.")] = 3600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    input: Annotated[
        str | None,
        typer.Option(
            "--input", help="The file a stkkr with input: reads (a path or fsspec URL the worker reads)."
        ),
    ] = None,
    retry: Annotated[
        bool, typer.Option("--retry", help="Only the rows with an open error record (see `stkkr retry`).")
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="With --retry: records whose last failure is within, e.g. 7d."),
    ] = None,
) -> None:
    """Start a stkkr's deployment now (it runs where the deployment runs: `stkkr serve` or a worker)."""
    from stkkr_tasks.cli.run import report
    from stkkr_tasks.deploy import TriggerError, start_run
    from stkkr_tasks.deploy import trigger as trigger_stkkr
    from stkkr_tasks.deploy.pollers import nobody_polls

    if since is not None and not retry:
        err().print("--since goes with --retry.", style="red", markup=False)
        raise typer.Exit(2)
    unpolled = nobody_polls(name)
    if unpolled is not None and wait:
        err().print(f"{unpolled}; nothing was started.", style="red", markup=False)
        raise typer.Exit(_NOT_TRIGGERED)
    if unpolled is not None:
        err().print(f"warning: {unpolled}; the run waits until then.", markup=False)
    try:
        if not wait:
            run_id = start_run(name, input=input, retry=retry, retry_since=since)
            typer.echo(json.dumps({"stkkr": name, "flow_run_id": str(run_id)}) if as_json else str(run_id))
            return
        summary = trigger_stkkr(name, timeout=timeout, input=input, retry=retry, retry_since=since)
    except TriggerError as exc:
        Console(stderr=True).print(str(exc), style="red", highlight=False, markup=False)
        raise typer.Exit(_NOT_TRIGGERED) from None
    report(summary, as_json=as_json)


def history(
    name: Annotated[str | None, typer.Argument(help="The stkkr (default: all).", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Show the last runs of a stkkr from Prefect: start, state, duration and the summary counts."""
    from stkkr_tasks.deploy import history as read_history

    runs = read_history(name, limit)
    if as_json:
        typer.echo(json.dumps([run.to_json() for run in runs]))
        return
    table = Table(title=f"Last runs of {name}" if name else "Last stkkr runs")
    columns = (
        "started",
        "stkkr",
        "state",
        "duration (s)",
        "read",
        "filtered out",
        "skipped",
        "written",
        "failed",
    )
    for column in columns:
        table.add_column(column, justify="right" if column not in ("started", "stkkr", "state") else "left")
    for run in runs:
        s = run.summary
        counts = (s.read, s.filtered_out, s.skipped, s.would_write if s.dry_run else s.written, s.failed)
        table.add_row(
            run.started.strftime("%Y-%m-%d %H:%M:%S") if run.started else "-",
            s.stkkr,
            run.state_name + (" (dry run)" if s.dry_run else ""),
            f"{s.duration_s:.1f}",
            *(str(c) if run.has_counts else "-" for c in counts),
        )
    out().print(table)
