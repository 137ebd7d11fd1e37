"""Keep AFAS filter values out of httpx's request log: past the first page they hold a row's key.

httpx logs every request at INFO as `HTTP Request: GET <url> ...`. The pager asks AFAS for the rows past
the last key it read, so the URL of every page after the first carries a key value from AFAS. A filter on
the `httpx` logger cuts the query string from URLs that hold GetConnector filters; other lines pass as
they are.
"""

from __future__ import annotations

import logging

__all__ = ["hide_filter_values"]

_FILTER_PARAMETERS = ("filtervalues=", "filterjson=")


class _HideFilterValues(logging.Filter):
    """Replaces the query string of an httpx request line by `?…` when it holds filter values."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1:
            url = str(args[1])
            base, separator, query = url.partition("?")
            if separator and any(name in query.lower() for name in _FILTER_PARAMETERS):
                record.args = (args[0], f"{base}?…", *args[2:])
        return True


_HIDER = _HideFilterValues()


def hide_filter_values() -> None:
    """Install the filter on the `httpx` logger (once; later calls do nothing)."""
    logger = logging.getLogger("httpx")
    if _HIDER not in logger.filters:
        logger.addFilter(_HIDER)
