"""What `stkkr errors list --key` looks for: the row's possible fingerprints and the AFAS environment."""

from __future__ import annotations

from prefect.utilities.asyncutils import run_coro_as_sync

from stkkr_tasks.cli._store import fail
from stkkr_tasks.store import lookup_fingerprints
from stkkr_tasks.store.keys import get_fingerprint_key


def key_lookup(
    stkkr: str | None, key: list[str] | None, connection: str | None
) -> tuple[list[str] | None, str | None]:
    """The fingerprints a row key typed on the command line may be stored under, and the environment.

    Args:
        stkkr: The stkkr the key belongs to (needed with `key`).
        key: The row's key values, as text, in key order.
        connection: An AfasConnection block name: only records of writes to its environment.

    Returns:
        The candidate fingerprints (None without `key`) and the environment (None without `connection`).
    """
    fingerprints = lookup_fingerprints(get_fingerprint_key(), stkkr, key) if key and stkkr else None
    return fingerprints, (_environment(connection) if connection else None)


def _environment(name: str) -> str:
    from stkkr_tasks.run.session import connection_environment, load_connection
    from stkkr_tasks.tasks import RunAborted

    try:
        return connection_environment(run_coro_as_sync(load_connection(name)))
    except RunAborted as exc:
        fail(str(exc))
