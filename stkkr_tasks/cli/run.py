"""`stkkr run FILE [--dry-run] [--json] [--limit N] [--input PATH]`: run a stkkr now, in this process.

Exit status: 0 every kept row was written; 1 the run completed with failed rows; 2 invalid file or usage
(nothing sent to AFAS); 3 the run failed or was stopped.
"""

from __future__ import annotations

import json
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from stkkr_tasks.cli._store import err as console_err
from stkkr_tasks.cli._store import out as console_out

if TYPE_CHECKING:
    from stkkr_tasks.run import RunSummary
    from stkkr_tasks.spec import StkkrSpec
    from stkkr_tasks.tasks import Counts


class ExitCode(IntEnum):
    """The exit statuses of `stkkr run` (scripts rely on them)."""

    OK = 0
    ROWS_FAILED = 1
    INVALID = 2
    RUN_FAILED = 3


def exit_code(summary: RunSummary) -> ExitCode:
    """The exit status for a run's summary: the worst of the run and the runs its `then:` started."""
    if summary.problems:
        own = ExitCode.INVALID
    elif summary.state != "Completed":
        own = ExitCode.RUN_FAILED
    else:
        own = ExitCode.ROWS_FAILED if summary.failed else ExitCode.OK
    return max([own, *(exit_code(after) for after in summary.then)])


def register(app: typer.Typer) -> None:
    """Attach `stkkr run` to the main app."""
    app.command("run")(run)


def run(
    file: Annotated[Path, typer.Argument(help="The stkkr file to run.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and transform; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the summary.")] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="Stop after N kept rows (or groups); wins over the file."),
    ] = None,
    preview: Annotated[
        int | None,
        typer.Option("--preview", min=0, help="With --dry-run: show this many elements (default 5)."),
    ] = None,
    input: Annotated[
        str | None,
        typer.Option("--input", help="The file a stkkr with input: reads (a path or an fsspec URL)."),
    ] = None,
) -> None:
    """Run a stkkr now: read, filter, transform and write, then show the summary; then run its `then:`."""
    from stkkr_tasks.run.runner import load
    from stkkr_tasks.spec import SpecError

    err = console_err()
    if preview is not None and not dry_run:
        err.print("--preview goes with --dry-run: a real run shows no elements.", markup=False)
        raise typer.Exit(ExitCode.INVALID)
    try:
        spec = load(file)
    except SpecError as exc:
        _print_problems(err, file, exc)
        raise typer.Exit(ExitCode.INVALID) from None
    except OSError as exc:
        err.print(f"[red]Cannot read {file}: {exc.strerror or exc}[/red]")
        raise typer.Exit(ExitCode.INVALID) from None
    execute(spec, file, dry_run=dry_run, as_json=as_json, limit=limit, preview=preview, input=input)


def execute(
    spec: StkkrSpec,
    source: Path | str,
    *,
    dry_run: bool,
    as_json: bool,
    limit: int | None = None,
    preview: int | None = None,
    input: str | None = None,
    retry: bool = False,
    retry_since: str | None = None,
) -> NoReturn:
    """Run a loaded stkkr with live counters, print its preview and summary, and exit with its status.

    `stkkr run` and `stkkr retry` share it; `source` names the stkkr in messages (its file or name).
    """
    from stkkr_tasks.run import RetrySinceError, ThenError, run_stkkr
    from stkkr_tasks.run.progress import DEFAULT_PREVIEW
    from stkkr_tasks.spec import ExpressionError

    out = console_out()
    err = console_err()
    preview_console = err if as_json else out
    previews: list[dict[str, Any]] = []  # shown after the run: the rows that would fail first
    counters_view = _CountersView()
    live = (
        Live(counters_view, console=err, refresh_per_second=8, transient=True, auto_refresh=True)
        if (err.is_terminal and not as_json)
        else None
    )
    try:
        if live is not None:
            live.start()
        summary = run_stkkr(
            spec,
            dry_run,
            on_progress=counters_view.update,
            on_preview=previews.append,
            limit=limit,
            preview=DEFAULT_PREVIEW if preview is None else preview,
            input=input,
            retry=retry,
            retry_since=retry_since,
        )
    except (ExpressionError, ThenError, RetrySinceError) as exc:
        err.print(f"{source}: {exc}", style="red", highlight=False, markup=False)
        raise typer.Exit(ExitCode.INVALID) from None
    finally:
        if live is not None:
            live.stop()
    _print_previews(preview_console, previews)
    report(summary, as_json=as_json)


def report(summary: RunSummary, *, as_json: bool) -> NoReturn:
    """Print a run's outcome and exit with its status (`stkkr run` and `stkkr trigger`).

    A stkkr that does not fit the AFAS environment prints only its problems, one per line on stderr as
    `stkkr validate --online` does (`--json` still prints the summary object on stdout).
    """
    if as_json:
        typer.echo(json.dumps(summary.to_json()))
        if summary.problems:
            _print_misfit(console_err(), summary)
    else:
        _print_summaries(console_out(), console_err(), summary)
    raise typer.Exit(exit_code(summary))


class _CountersView:
    """Live counters for the terminal; rich renders it on every refresh."""

    def __init__(self) -> None:
        self.counters: Counts | None = None

    def update(self, counters: Counts) -> None:
        self.counters = counters

    def __rich__(self) -> str:
        c = self.counters
        if c is None:
            return "Starting…"
        written = f"would write {c.would_write}" if c.would_write else f"written {c.written}"
        return (
            f"pages {c.pages} · read {c.read} · filtered out {c.filtered_out} · skipped {c.skipped} · "
            f"{written} · failed {c.failed}"
        )


def _print_summaries(out: Console, err: Console, summary: RunSummary) -> None:
    """The run's summary (or only its problems), then those of the runs its `then:` started, in order."""
    if summary.problems:
        _print_misfit(err, summary)
    else:
        _print_summary(out, summary)
    for after in summary.then:
        out.print(f"then: {after.stkkr}", highlight=False, markup=False)
        _print_summaries(out, err, after)


def _print_misfit(err: Console, summary: RunSummary) -> None:
    """The problems of a stkkr that does not fit the AFAS environment, once each, like `validate --online`."""
    err.print(f"{summary.stkkr} does not fit the AFAS environment; nothing was sent:", style="red")
    for problem in summary.problems:
        err.print(problem, highlight=False, markup=False)


def _print_summary(console: Console, summary: RunSummary) -> None:
    colour = "green" if summary.ok else ("yellow" if summary.state == "Completed" else "red")
    suffix = (" (dry run)" if summary.dry_run else "") + (" (retry)" if summary.retry else "")
    title = f"{summary.stkkr}: [{colour}]{summary.state}[/{colour}]{suffix}"
    table = Table(title=title, show_header=False)
    table.add_column("count")
    table.add_column("rows", justify="right")
    for label, count in summary.labelled_counts():
        table.add_row(label, str(count))
    console.print(table)
    console.print(summary.message, highlight=False, markup=False)
    console.print(f"Flow run: {summary.flow_run_id}", highlight=False)


def _print_previews(console: Console, previews: list[dict[str, Any]]) -> None:
    """A dry run's preview: the rows that would fail first, then the elements that would be sent."""
    for body in sorted(previews, key=lambda body: "would_fail" not in body):
        failure = body.get("would_fail")
        if failure is not None:
            text = f"Would fail at {failure['stage']}: {failure['message']}"
            console.print(text, style="red", markup=False)
            continue
        console.print("Would send:", style="bold")
        console.print_json(json.dumps(body, default=str))


def _print_problems(console: Console, file: Path, exc: Exception) -> None:
    problems = getattr(exc, "problems", None) or []
    if not problems:
        console.print(f"[red]{file}: {exc}[/red]")
        return
    console.print(f"[red]{file} is not a valid stkkr ({len(problems)} problem(s)); nothing was sent:[/red]")
    for problem in problems:
        console.print(f"  {problem}", highlight=False, markup=False)
