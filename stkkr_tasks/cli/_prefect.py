"""Which Prefect the CLI talks to, and how much of Prefect's logging reaches the console.

Without PREFECT_API_URL every command uses the persistent local server under ``$STKKR_HOME`` (see
`stkkr_tasks.localserver`) and says so in one line on stderr. Prefect's console logs stay off,
unless `-v` was given: the commands say themselves what went wrong.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

CONSOLE_LEVEL_ENV = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, or None."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def use_prefect(ctx: typer.Context | None = None) -> None:
    """Point this process (and its children) at the configured Prefect API, or at the local server.

    Args:
        ctx: The command's context; the settings stay in force until it closes (None: for the process).

    Exits with status 1 and one line when the local server cannot start.
    """
    if configured_api_url() is not None:
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from stkkr_tasks.cli._store import err, fail
    from stkkr_tasks.localserver import ensure_running
    from stkkr_tasks.localstack import LocalStackError

    def say(line: str) -> None:
        err().print(line, style="dim", markup=False, highlight=False, soft_wrap=True)

    try:
        server = ensure_running(on_start=say)
    except LocalStackError as exc:
        fail(f"the local Prefect server did not start: {exc}")
    say(server.where())
    os.environ["PREFECT_API_URL"] = server.url  # for child processes (serve's flow runs)
    settings = temporary_settings(updates={PREFECT_API_URL: server.url})
    if ctx is not None:
        ctx.with_resource(settings)
    else:
        settings.__enter__()


def expected_failure(exc: BaseException) -> str | None:
    """One line for an exception that is an expected situation (an API or AFAS that cannot be reached, a port
    in use, a store error), or None for anything else (a bug, which keeps its traceback)."""
    import httpx

    from stkkr_tasks.afas import AfasError
    from stkkr_tasks.store import StoreError

    if isinstance(exc, httpx.HTTPError):  # our AFAS client wraps its own, so this is the Prefect API
        url = configured_api_url() or "the Prefect API"
        return (
            f"cannot reach the Prefect API at {url} ({type(exc).__name__}); check PREFECT_API_URL "
            "or `stkkr server status`"
        )
    if _is_prefect_http_error(exc):
        return f"the Prefect API refused the request: {exc}".splitlines()[0]
    if isinstance(exc, AfasError | StoreError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return None


def _is_prefect_http_error(exc: BaseException) -> bool:
    from prefect.exceptions import PrefectHTTPStatusError

    return isinstance(exc, PrefectHTTPStatusError)


def quiet_prefect(verbose: bool) -> None:
    """Show Prefect's console logs from INFO with `verbose`, else none (in child processes too).

    Prefect configures its logging itself when its API is first imported, from the environment variable set
    here; so Prefect is not loaded for this, and its logging is not configured twice (~0.15 s each time).
    Until then a null handler keeps Prefect's records from Python's last-resort output on stderr.
    """
    level = logging.INFO if verbose else logging.CRITICAL
    os.environ[CONSOLE_LEVEL_ENV] = logging.getLevelName(level)
    configuration = sys.modules.get("prefect.logging.configuration")
    if configuration is None or not configuration.PROCESS_LOGGING_CONFIG:
        logging.getLogger("prefect").addHandler(logging.NullHandler())  # Prefect's set-up replaces it
        return
    from prefect.logging.handlers import PrefectConsoleHandler

    for name in ("", "prefect"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(level)
