"""Keep row values out of httpx's request log: filter values in the query, key values in the path.

httpx logs every request at INFO as `HTTP Request: GET <url> ...`. Two kinds of our URLs carry values
from AFAS rows: the pager asks for the rows past the last key it read, so every page after the first
holds a key value in its filter parameters; and a DELETE names the record by its key values in the path
(`/connectors/KnContact/KnContact/@CdId/jan.jansen%40example.nl`). A filter on the `httpx` logger cuts
the query string from URLs that hold GetConnector filters, and the path after the key field names
(`@CdId`) from URLs that hold record keys; other lines pass as they are.
"""

from __future__ import annotations

import logging

__all__ = ["HIDDEN", "hide_row_values", "without_row_values"]

HIDDEN = "…"
_FILTER_PARAMETERS = ("filtervalues=", "filterjson=")
_KEY_NAMES = ("@", "%40")


def without_row_values(url: str) -> str:
    """The URL with its filter values and path key values replaced by `…` (other URLs unchanged).

    Example:
        >>> without_row_values("https://x/ProfitRestServices/connectors/KnContact/KnContact/@CdId/a%40b.nl")
        'https://x/ProfitRestServices/connectors/KnContact/KnContact/@CdId/…'
    """
    base, separator, query = url.partition("?")
    if separator and any(name in query.lower() for name in _FILTER_PARAMETERS):
        query = HIDDEN
    segments = base.split("/")
    keys_at = next((i for i, part in enumerate(segments) if part.startswith(_KEY_NAMES)), None)
    if keys_at is not None and keys_at + 1 < len(segments):
        base = "/".join([*segments[: keys_at + 1], HIDDEN])
    return f"{base}{separator}{query}"


class _HideRowValues(logging.Filter):
    """Rewrites the URL of an httpx request line with `without_row_values`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1:
            record.args = (args[0], without_row_values(str(args[1])), *args[2:])
        return True


_HIDER = _HideRowValues()


def hide_row_values() -> None:
    """Install the filter on the `httpx` logger (once; later calls do nothing)."""
    logger = logging.getLogger("httpx")
    if _HIDER not in logger.filters:
        logger.addFilter(_HIDER)
