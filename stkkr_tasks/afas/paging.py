"""Paging over a GetConnector that neither skips a row nor yields one twice while the data changes.

AFAS has no cursor, only `skip`/`take` over an ordering. Skipping by count loses rows whenever rows leave
the filtered set between two requests — which is what a stkkr does when it writes a field its own `where`
selects on (close the open projects: every closed project moves the next page forward). So the pager reads
by key: after the first page it asks for the rows past the last key read (`ProjectId > last`, a filter AFAS
evaluates with the same collation it orders by), always from `skip=0`. Rows written, removed or inserted
before that key change nothing.

Keys AFAS cannot be asked to compare (empty values, timestamps, floats and booleans), or a filter that would
make the query too long, fall back to `skip` for that page. Then rows inserted before the position would
come back: they are dropped by comparing each row's key with the previous page (equal to one of its keys,
or — for numbers and dates, whose order Python and AFAS agree on — not past its last key). Only the
previous page's keys are kept, so memory does not grow with the number of rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from stkkr_tasks.afas.exceptions import AfasQueryTooLongError
from stkkr_tasks.afas.filters import Filter, Operator

__all__ = ["FetchPage", "Pager"]

After = list[list[Filter]]
"""AND-groups, OR-ed, that only the rows past a key match."""

FetchPage = Callable[[int, int, After | None], Awaitable[list[dict[str, Any]]]]
"""`fetch(skip, take, after)` -> the rows of that page; `after`, when given, is AND-ed with the `where`."""

_ORDERED_TYPES = (int, float, Decimal, date, datetime)


def _seekable(value: Any) -> bool:
    """Whether AFAS can be asked for the rows past `value` with a filter that means what the order means."""
    return isinstance(value, (str, int, Decimal, date)) and not isinstance(value, (bool, datetime))


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
            fetch: Reads one page, `await fetch(skip, take, after)`; the client passes its `get_page`.
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
        self._seek = True
        self._done = False
        self._previous_keys: set[tuple[Any, ...]] = set()
        self._last_key: tuple[Any, ...] | None = None
        self.pages_read = 0
        self.rows_read = 0

    @property
    def position(self) -> dict[str, Any] | None:
        """The order fields and values of the last row read (the next request asks for the rows past it).

        It is a row's key: an error record of a failed page uses it to remove those values from AFAS's
        message. None before the first page.
        """
        if self._last_key is None:
            return None
        return {name: value for (name, _), value in zip(self._fields, self._last_key, strict=True)}

    def _key(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row.get(name) for name, _ in self._fields)

    def _is_past_last(self, key: tuple[Any, ...]) -> bool:
        """Whether `key` sorts after the previous page's last key; True when that cannot be told."""
        if self._last_key is None:
            return True
        for (_, descending), value, last in zip(self._fields, key, self._last_key, strict=True):
            if value == last:
                continue
            return _sorts_after(value, last, descending=descending)
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

    def _after(self) -> After | None:
        """The filter for the rows past the previous page's last key; None on the first page or if unusable.

        For order fields (a, b) and last key (x, y): (a > x) OR (a = x AND b > y); `<` for descending.
        """
        last = self._last_key
        if last is None or not self._seek or not all(_seekable(value) for value in last):
            return None
        groups = []
        for index, (name, descending) in enumerate(self._fields):
            same = [Filter(self._fields[i][0], Operator.EQUAL, last[i]) for i in range(index)]
            past = Filter(name, Operator.LESS if descending else Operator.GREATER, last[index])
            groups.append([*same, past])
        return groups

    async def _read(self) -> list[dict[str, Any]]:
        after = self._after()
        if after is not None:
            try:
                return await self._fetch(0, self._page_size, after)
            except AfasQueryTooLongError:
                self._seek = False  # the `where` leaves no room for the key filter: count from here on
        return await self._fetch(self._skip, self._page_size, None)

    async def next_page(self) -> list[dict[str, Any]] | None:
        """Return the next non-empty page of rows, or None when all rows have been read."""
        while not self._done:
            rows = await self._read()
            self.pages_read += 1
            self._skip += len(rows)
            self._done = len(rows) < self._page_size
            fresh = self._fresh(rows)
            if fresh:
                self.rows_read += len(fresh)
                return fresh
        return None


def _sorts_after(value: Any, last: Any, *, descending: bool) -> bool:
    """Whether `value` comes after `last` in the order; True when the two cannot be compared."""
    if not (_is_ordered(value) and _is_ordered(last)):
        return True
    try:
        return bool(value < last if descending else value > last)
    except TypeError:
        return True


def _is_ordered(value: object) -> bool:
    return isinstance(value, _ORDERED_TYPES)
