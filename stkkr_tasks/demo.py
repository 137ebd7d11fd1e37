"""`stkkr demo` (``make demo``): run every example stkkr against the simulator on the local Prefect server.

The demo uses the persistent local Prefect server under ``$STKKR_HOME`` (the one every `stkkr` command and
`stkkr up` use; started when it does not run yet, PREFECT_API_URL replaces it), so its connection block and
runs are there for `stkkr run`, `stkkr history` and the Prefect UI afterwards. Each example runs through
`run_stkkr`, the code path of `stkkr run`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from prefect.events.worker import EventsWorker
from prefect.logging.configuration import ensure_logging_setup
from prefect.logging.handlers import APILogWorker, PrefectConsoleHandler
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
from rich.markup import escape
from rich.table import Table

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.home import stkkr_home
from stkkr_tasks.localserver import stack_api_url, stack_lock
from stkkr_tasks.localstack import LocalStackError, prefect_home, simulated_environments, start_simulator
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.spec.files import StkkrFile, deployments_dir, load_stkkr_files
from stkkr_tasks.store import ErrorStore

if TYPE_CHECKING:
    from rich.console import Console

    from stkkr_tasks.run import RunSummary
    from stkkr_tasks.store import ErrorRecord

_RECORDS_SHOWN = 3


class DemoError(StkkrError, RuntimeError):
    """The demo could not run, or an example run failed (the message says which)."""


def example_files(directory: Path | None = None) -> list[StkkrFile]:
    """The example stkkrs, loaded and validated, in file order.

    Args:
        directory: Where they are; default ``<deployments directory>/examples``.

    Raises:
        DemoError: There are none.
        SpecError: A file does not validate (every problem is listed).
    """
    examples = directory or deployments_dir() / "examples"
    files = load_stkkr_files([examples]) if examples.is_dir() else []
    if not files:
        raise DemoError(f"no example stkkrs in {examples} (run the demo from the stkkr checkout)")
    return files


def run_demo(
    *, console: Console, port: int = 0, simulator_port: int = 0, rows: int = 500, examples: Path | None = None
) -> list[RunSummary]:
    """Start the simulator (and the local Prefect server when it does not run), run every example stkkr.

    Args:
        console: Where progress, the summaries and the final table go.
        port: Port of the local Prefect server when it must be started (0: 4200, or a free one).
        simulator_port: Port of the simulator (0 picks a free one).
        rows: Rows per connector in the simulator.
        examples: The directory of the example stkkrs (default ``deployments/examples``).

    Returns:
        The summary of every example run, in file order.

    Raises:
        DemoError: No examples, `stkkr up` or another demo runs, the server did not start, or an example run
            ended Failed.
        SpecError: An example file does not validate.
    """

    files = example_files(examples)
    try:
        with stack_lock("demo"):
            url = stack_api_url(port=port or None, on_start=lambda line: console.print(line, markup=False))
            console.print(f"Prefect server at {url.removesuffix('/api')} (state in {prefect_home()}).")
            with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_HOME: prefect_home()}):
                summaries = run_examples(files, console=console, rows=rows, simulator_port=simulator_port)
                _drain_prefect_workers()
    except LocalStackError as exc:
        raise DemoError(str(exc)) from None
    console.print(
        f"The runs are kept: open [bold]{url.removesuffix('/api')}[/bold] to look at them in the Prefect UI "
        "(flow runs named after each stkkr, summary artifacts `stkkr-<name>`), or `stkkr history`."
    )
    _raise_for_failed_runs(summaries)
    return summaries


def run_examples(
    files: Sequence[StkkrFile], *, console: Console, rows: int = 500, simulator_port: int = 0
) -> list[RunSummary]:
    """Serve the simulator with a connection block per example connection, run each example, report.

    Uses the Prefect API of the current settings (the demo's server, or a test server).

    Args:
        files: The example stkkrs.
        console: Where progress, each summary, the final table and the error records go.
        rows: Rows per connector in the simulator.
        simulator_port: Port of the simulator (0 picks a free one).

    Returns:
        The summary of every run, in the order of `files`.
    """

    summaries: list[RunSummary] = []
    with ExitStack() as stack:
        for index, connections in enumerate(simulated_environments(f.spec for f in files)):
            port = simulator_port if index == 0 else 0  # another environment: a second simulator
            base_url = start_simulator(stack, port, rows, str(PREFECT_API_URL.value()), connections)
            console.print(
                f"AFAS simulator at {base_url} ({rows} rows per connector); "
                f"connection {', '.join(repr(c) for c in connections)} saved."
            )
        stack.enter_context(_console_warnings_only())
        for number, file in enumerate(files, start=1):
            spec = file.spec
            console.print(
                f"[{number}/{len(files)}] {spec.stkkr} ({spec.update.action} "
                f"{spec.source} → {spec.update.connector}, {file.path.name})…"
            )
            # A Completed run runs its `then:` stkkrs too, as `stkkr run` does.
            summary = run_stkkr(spec, input=example_upload(file))
            _print_outcome(console, summary)
            summaries.append(summary)
        _retry_failed_rows(console, files, summaries)
    console.print(summary_table(files, summaries))
    _show_error_records(console, summaries)
    return summaries


def example_upload(file: StkkrFile) -> Path | None:
    """The file an example with `input:` reads: `<its name>.csv` (or `.xlsx`) beside it; None for `get:`."""
    if file.spec.input is None:
        return None
    return file.path.with_suffix(f".{file.spec.input.format}")


def _retry_failed_rows(console: Console, files: Sequence[StkkrFile], summaries: Sequence[RunSummary]) -> None:
    """Run each example with failed rows again over those rows only, as `stkkr retry NAME` does.

    The demo's refusals are in the data, so the rows fail again: their records are updated, none is added.
    """
    for file, summary in zip(files, summaries, strict=True):
        if not summary.failed:
            continue
        console.print(f"Retrying the failed rows of {summary.stkkr} (stkkr retry {summary.stkkr})…")
        retried = run_stkkr(file.spec, retry=True, follow_then=False, input=example_upload(file))
        _print_outcome(console, retried)
        console.print(f"      {retried.message}", markup=False, highlight=False)


def _print_outcome(console: Console, summary: RunSummary, then: str = "") -> None:
    """One run's state and counts (and why it failed), then those of the runs its `then:` started."""
    colour = "green" if summary.ok else ("yellow" if summary.state == "Completed" else "red")
    console.print(
        f"      {then}[{colour}]{summary.state}[/{colour}]: {summary.counts_text()}", highlight=False
    )
    if summary.state != "Completed":
        console.print(f"      {summary.message}", markup=False, highlight=False)
    elif summary.skipped:
        console.print("      (skipped: rows an earlier run already wrote; `unique:` runs them once)")
    for after in summary.then:
        _print_outcome(console, after, then=f"then {after.stkkr}: ")


def summary_table(files: Sequence[StkkrFile], summaries: Sequence[RunSummary]) -> Table:
    """One row per example run: stkkr, action, state and the counts."""
    table = Table(title="stkkr demo")
    for column in ("stkkr", "action", "state"):
        table.add_column(column)
    for column in ("read", "filtered out", "skipped", "written", "failed", "seconds"):
        table.add_column(column, justify="right")
    for file, summary in zip(files, summaries, strict=True):
        table.add_row(
            summary.stkkr,
            file.spec.update.action,
            summary.state,
            str(summary.read),
            str(summary.filtered_out),
            str(summary.skipped),
            str(summary.written),
            str(summary.failed),
            f"{summary.duration_s:.1f}",
        )
    return table


def _show_error_records(console: Console, summaries: Sequence[RunSummary]) -> None:
    """Say where the failed rows went and show a few of the records of each stkkr with failures."""

    failing = [s for s in summaries if s.failed]
    if not failing:
        console.print("No row failed, so there are no new error records.")
        return
    total = sum(s.failed for s in failing)
    console.print(
        f"{total} failed row(s) became error records in the stkkr database under {stkkr_home()}: "
        "meta-information only, the row's values replaced by ***."
    )
    for summary in failing:
        table = Table(
            "id", "stage", "HTTP", "AFAS error", "message", title=f"newest error records of {summary.stkkr}"
        )
        for record in asyncio.run(_newest_records(summary.stkkr, _RECORDS_SHOWN)):
            table.add_row(
                str(record.id),
                record.stage,
                _text(record.http_status),
                _text(record.error_number),
                escape(record.message),
            )
        console.print(table)
        console.print(f"All of them: [bold]stkkr errors list --stkkr {summary.stkkr}[/bold]")


async def _newest_records(stkkr: str, limit: int) -> list[ErrorRecord]:
    async with ErrorStore() as store:
        return await store.list_errors(stkkr, limit=limit)


def _text(value: object) -> str:
    return "" if value is None else str(value)


@contextmanager
def _console_warnings_only() -> Iterator[None]:
    """Keep Prefect's INFO lines off the terminal while the examples run (they still reach the server)."""

    ensure_logging_setup()
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    levels = [h.level for h in handlers]
    for handler in handlers:
        handler.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)


DRAIN_TIMEOUT_S = 30.0
"""A Prefect worker whose task died never finishes draining (seen once in CI): wait this long at most."""


def _drain_prefect_workers() -> None:
    """Send the logs and events still queued in this process before the server stops (within a bound)."""
    APILogWorker.drain_all(timeout=DRAIN_TIMEOUT_S)
    EventsWorker.drain_all(timeout=DRAIN_TIMEOUT_S)


def _raise_for_failed_runs(summaries: Sequence[RunSummary]) -> None:
    failed = [s.stkkr for s in summaries if s.state != "Completed"]
    if failed:
        raise DemoError(f"{len(failed)} example run(s) failed: {', '.join(failed)} (see the messages above)")
