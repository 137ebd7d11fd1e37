"""Skip/take paging over a GetConnector that never yields a row twice.

AFAS has no cursor: a page is `skip`/`take` over an ordering. When rows are inserted before the current
position between two requests, the next page starts with rows already read. The pager drops such rows by
comparing each row's order key with the previous page: a row whose key occurs on the previous page, or —
for numbers, dates and booleans, whose order Python and AFAS agree on — whose key is not past the
previous page's last key, is dropped. Text keys are only compared for equality, because AFAS orders text
by its database collation (case and accents), which Python cannot reproduce. Only the previous page's keys
are kept, so memory does not grow with the number of rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["FetchPage", "Pager"]

FetchPage = Callable[[int, int], Awaitable[list[dict[str, Any]]]]
"""`fetch(skip, take)` -> the rows of that page."""

_ORDERED_TYPES = (int, float, Decimal, date, datetime)


def _order_fields(order_by: Sequence[str]) -> list[tuple[str, bool]]:
    return [(name.removeprefix("-"), name.startswith("-")) for name in order_by]


class Pager:
    """Reads a GetConnector page by page, ordered on `order_by`, until a short page.

    Attributes:
        pages_read: Pages fetched from AFAS so far.
        rows_read: Rows returned to the caller so far (duplicates dropped).
    """

    def __init__(self, fetch: FetchPage, *, order_by: Sequence[str], page_size: int = 500) -> None:
        """Prepare paging.

        Args:
            fetch: Reads one page, `await fetch(skip, take)`; the client passes its `get_page`.
            order_by: The fields `fetch` orders on; a leading `-` means descending.
            page_size: Rows per request (`take`).

        Raises:
            ValueError: When `order_by` is empty or `page_size` is below 1.
        """
        if isinstance(order_by, str) or not order_by:
            raise ValueError("paging needs order_by fields, preferably a unique key")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._fetch = fetch
        self._fields = _order_fields(order_by)
        self._page_size = page_size
        self._skip = 0
        self._done = False
        self._previous_keys: set[tuple[Any, ...]] = set()
        self._last_key: tuple[Any, ...] | None = None
        self.pages_read = 0
        self.rows_read = 0

    def _key(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row.get(name) for name, _ in self._fields)

    def _is_past_last(self, key: tuple[Any, ...]) -> bool:
        """Whether `key` sorts after the previous page's last key; True when that cannot be told."""
        if self._last_key is None:
            return True
        for (_, descending), value, last in zip(self._fields, key, self._last_key, strict=True):
            if value == last:
                continue
            if not (isinstance(value, _ORDERED_TYPES) and isinstance(last, _ORDERED_TYPES)):
                return True
            try:
                return value < last if descending else value > last
            except TypeError:
                return True
        return False

    def _fresh(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = []
        for row in rows:
            key = self._key(row)
            if key not in self._previous_keys and self._is_past_last(key):
                fresh.append(row)
        if rows:
            self._previous_keys = {self._key(row) for row in rows}
            self._last_key = self._key(rows[-1])
        return fresh

    async def next_page(self) -> list[dict[str, Any]] | None:
        """Return the next non-empty page of rows, or None when all rows have been read."""
        while not self._done:
            rows = await self._fetch(self._skip, self._page_size)
            self.pages_read += 1
            self._skip += len(rows)
            self._done = len(rows) < self._page_size
            fresh = self._fresh(rows)
            if fresh:
                self.rows_read += len(fresh)
                return fresh
        return None
