"""Where the stkkr database lives: the URL from the environment, normalised to an async driver."""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from stkkr_tasks.home import stkkr_home
from stkkr_tasks.store.errors import StoreConfigError

DATABASE_URL_ENV = "STKKR_DATABASE_URL"

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_SUPPORTED = {"sqlite+aiosqlite", "postgresql+asyncpg"}


def default_database_url() -> str:
    """`$STKKR_DATABASE_URL`, or a SQLite file `stkkr.db` in the stkkr home folder (created if missing)."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        return configured
    home = stkkr_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"sqlite+aiosqlite:///{home / 'stkkr.db'}"


def normalise_url(url: str) -> URL:
    """Parse a database URL and switch plain `sqlite://` and `postgresql://` URLs to their async drivers.

    Args:
        url: A SQLAlchemy URL; `sqlite:///…`, `postgresql://…` and `postgres://…` are accepted as well.

    Returns:
        The URL with driver `sqlite+aiosqlite` or `postgresql+asyncpg`.

    Raises:
        StoreConfigError: The URL cannot be parsed or names a database or driver stkkr does not support.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreConfigError(
            "the stkkr database URL cannot be parsed; expected e.g. sqlite:///path/stkkr.db "
            "or postgresql://user@host/db"
        ) from None
    name = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    if name not in _SUPPORTED:
        raise StoreConfigError(
            f"the stkkr database driver {parsed.drivername!r} is not supported; "
            "use sqlite (aiosqlite) or postgresql (asyncpg)"
        )
    return parsed.set(drivername=name)


def display_url(url: URL) -> str:
    """The URL as text with its password masked, safe for messages and logs."""
    return url.render_as_string(hide_password=True)
