"""Paging over a GetConnector that neither skips a row nor yields one twice while the data changes.

AFAS has no cursor, only `skip`/`take` over an ordering. Skipping by count loses rows whenever rows leave
the filtered set between two requests — which is what a stkkr does when it writes a field its own `where`
selects on (close the open projects: every closed project moves the next page forward). So the pager reads
by key: after the first page it asks for the rows from the last key read on (`ProjectId >= last`, a filter
AFAS evaluates with the same collation it orders by), always from `skip=0`, one row more than a page. Rows
written, removed or inserted before that key change nothing; the row of the last key comes back first and
is dropped.

The key must be unique. Rows sharing a key cannot be told apart, and a page boundary between them would
skip some: two rows of one page with the same key (also the last key coming back twice) raise
`AfasPagingError`. `unique_order=False` declares a deliberately non-unique order: the pager then counts
rows (`skip`) and checks nothing.

Keys AFAS cannot be asked to compare (empty values, timestamps, floats and booleans) fall back to `skip`
for that page. Then rows inserted before the position would come back: they are dropped by comparing each
row's key with the previous page (equal to one of its keys, or — for numbers and dates, whose order Python
and AFAS agree on — not past its last key). Only the previous page's keys are kept, so memory does not grow
with the number of rows. A `where` that leaves no room in the query for the key filter raises
`AfasPagingError` rather than count rows that the stkkr may be moving out of the set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from stkkr_tasks.afas.exceptions import AfasPagingError, AfasPagingTiesError, AfasQueryTooLongError
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


_TIES = (
    "two rows share the same order_by key ({fields}), so paging cannot tell them apart and would skip "
    "rows at a page boundary; order by a unique key (add a field that identifies the row), or declare "
    "the order non-unique deliberately (order_by_unique: false in the stkkr file)"
)
_NO_ROOM = (
    "the where filter leaves no room in AFAS's query for the key paging needs ({length} of {limit} "
    "characters); counting rows instead could skip rows that leave the where while the stkkr runs, so the "
    "run stops here. Shorten the where (fewer or shorter values, or filter here with `filter:`)"
)


class Pager:
    """Reads a GetConnector page by page, ordered on `order_by`, until a short page.

    Attributes:
        pages_read: Pages fetched from AFAS so far.
        rows_read: Rows returned to the caller so far (duplicates dropped).
    """

    def __init__(
        self, fetch: FetchPage, *, order_by: Sequence[str], page_size: int = 500, unique_order: bool = True
    ) -> None:
        """Prepare paging.

        Args:
            fetch: Reads one page, `await fetch(skip, take, after)`; the client passes its `get_page`.
            order_by: The fields `fetch` orders on; a leading `-` means descending.
            page_size: Rows per page.
            unique_order: Whether `order_by` is a unique key (checked: ties raise `AfasPagingError`).
                False pages by count without that check, for a GetConnector that has no unique key.

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
        self._unique = unique_order
        self._skip = 0
        self._done = False
        self._previous_keys: set[tuple[Any, ...]] = set()
        self._last_key: tuple[Any, ...] | None = None
        self.pages_read = 0
        self.rows_read = 0

    @property
    def position(self) -> dict[str, Any] | None:
        """The order fields and values of the last row read (the next request asks for the rows from it on).

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

    def _check_unique(self, rows: list[dict[str, Any]]) -> None:
        keys = {self._key(row) for row in rows}
        if len(keys) < len(rows):
            fields = ", ".join(name for name, _ in self._fields)
            raise AfasPagingTiesError(_TIES.format(fields=fields))

    def _fresh(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = []
        for row in rows:
            key = self._key(row)
            if not self._unique or (key not in self._previous_keys and self._is_past_last(key)):
                fresh.append(row)  # keys that may repeat cannot tell a row seen before: keep every row
        if rows:
            self._previous_keys = {self._key(row) for row in rows}
            self._last_key = self._key(rows[-1])
        return fresh

    def _after(self) -> After | None:
        """The filter for the rows from the last key read on; None on the first page or when unusable.

        For order fields (a, b) and last key (x, y): (a > x) OR (a = x AND b >= y); `<`, `<=` descending.
        The last key itself comes back first: it shows whether another row shares it.
        """
        last = self._last_key
        if last is None or not self._unique or not all(_seekable(value) for value in last):
            return None
        groups = []
        final = len(self._fields) - 1
        for index, (name, descending) in enumerate(self._fields):
            same = [Filter(self._fields[i][0], Operator.EQUAL, last[i]) for i in range(index)]
            if index == final:
                operator = Operator.LESS_OR_EQUAL if descending else Operator.GREATER_OR_EQUAL
            else:
                operator = Operator.LESS if descending else Operator.GREATER
            groups.append([*same, Filter(name, operator, last[index])])
        return groups

    async def _read(self) -> tuple[list[dict[str, Any]], int]:
        """Fetch the next page; return its rows and the number asked for (a short page is the last)."""
        after = self._after()
        if after is None:
            return await self._fetch(self._skip, self._page_size, None), self._page_size
        take = self._page_size + 1  # the last key's row comes back first
        try:
            return await self._fetch(0, take, after), take
        except AfasQueryTooLongError as exc:
            raise AfasPagingError(_NO_ROOM.format(length=exc.length, limit=exc.limit)) from None

    async def next_page(self) -> list[dict[str, Any]] | None:
        """Return the next non-empty page of rows, or None when all rows have been read.

        Raises:
            AfasPagingError: When `order_by` turns out not to be unique, or the `where` leaves no room for
                paging by key (see the module docstring); no page is returned then.
        """
        while not self._done:
            rows, asked = await self._read()
            self.pages_read += 1
            if self._unique:
                self._check_unique(rows)
            self._skip += len(rows)
            self._done = len(rows) < asked
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
