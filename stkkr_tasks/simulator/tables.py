"""In-memory rows of each GetConnector, with cached sorted and filtered views invalidated by writes."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from stkkr_tasks.simulator.catalogue import Catalogue, GetConnectorDef
from stkkr_tasks.simulator.datagen import generate_rows
from stkkr_tasks.simulator.query import (
    Query,
    compile_where,
    condition_predicate,
    sort_rows,
    split_seek,
    where_columns,
)

Row = dict[str, Any]
_MAX_VIEWS = 32


class Table:
    """The rows of one GetConnector, keyed on its first column, generated on first use.

    Views (rows sorted on an order, then filtered) are cached per (order, filter) and dropped when a write
    touches a column they depend on, or on any insert or delete; pages are slices of a view.
    """

    def __init__(self, connector_id: str, connector: GetConnectorDef, rows: int, seed: int) -> None:
        self.connector_id = connector_id
        self.connector = connector
        self.key = connector.fields[0].id
        self._size, self._seed = rows, seed
        self._rows: dict[Any, Row] | None = None
        self._sorted: dict[tuple[tuple[str, bool], ...], list[Row]] = {}
        self._views: OrderedDict[tuple[Any, ...], tuple[frozenset[str], list[Row]]] = OrderedDict()
        self._undo: list[Callable[[], None]] | None = None

    @property
    def rows(self) -> dict[Any, Row]:
        """Rows by key value, in table order (generated on first access)."""
        if self._rows is None:
            generated = generate_rows(self.connector_id, self.connector, self._size, self._seed)
            self._rows = {row[self.key]: row for row in generated}
        return self._rows

    def view(self, query: Query) -> list[Row]:
        """All rows matching the query's filter, in its order (a cached list: do not modify)."""
        cache_key = (query.order, query.where)
        cached = self._views.get(cache_key)
        if cached is not None:
            self._views.move_to_end(cache_key)
            return cached[1]
        ordered = self._sorted.get(query.order)
        if ordered is None:
            ordered = sort_rows(list(self.rows.values()), query.order, self.connector)
            self._sorted[query.order] = ordered
        predicate = compile_where(self.connector, query.where)
        rows = ordered if predicate is None else [r for r in ordered if predicate(r)]
        depends = where_columns(query.where) | {name for name, _ in query.order}
        self._views[cache_key] = (depends, rows)
        if len(self._views) > _MAX_VIEWS:
            self._views.popitem(last=False)
        return rows

    def page(self, query: Query) -> list[Row]:
        """The rows of one page (a list of the stored rows: copy before they leave the lock).

        A by-key request (`where` AND `first order field > value`, or `>=`) seeks in the cached view of its
        `where` with a binary search, as a database seeks in an index, instead of filtering every row again.
        """
        seek = split_seek(query)
        if seek is None:
            rows, start = self.view(query), 0
        else:
            where, past = seek
            rows = self.view(replace(query, where=where))
            start = bisect_left(rows, True, key=condition_predicate(self.connector, past))
        if query.all_rows:
            return rows[start:]
        return rows[start + query.skip : start + query.skip + query.take]

    def find(self, match: dict[str, Any]) -> Row | None:
        """The first row whose columns equal `match` (by key column lookup when possible)."""
        if set(match) == {self.key}:
            return self.rows.get(match[self.key])
        return next((r for r in self.rows.values() if all(r.get(c) == v for c, v in match.items())), None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Apply the writes inside as one: when one fails, the ones before it are undone (all or nothing)."""
        self._undo = []
        try:
            yield
        except BaseException:
            undo, self._undo = self._undo, None
            for step in reversed(undo):
                step()
            raise
        finally:
            self._undo = None

    def insert(self, row: Row) -> None:
        """Add a row (all columns present) and drop every cached view."""
        if self._undo is not None:
            self._undo.append(lambda: self.delete(row))
        self.rows[row[self.key]] = row
        self._drop_views()

    def update(self, row: Row, changes: dict[str, Any]) -> None:
        """Change columns of a stored row and drop the views that depend on them."""
        if not changes:
            return
        if self._undo is not None:
            before = {column: row.get(column) for column in changes}
            self._undo.append(lambda: self.update(row, before))
        row.update(changes)
        touched = set(changes)
        self._sorted = {o: v for o, v in self._sorted.items() if not touched & {n for n, _ in o}}
        for key in [k for k, (depends, _) in self._views.items() if depends & touched]:
            del self._views[key]

    def delete(self, row: Row) -> None:
        """Remove a stored row and drop every cached view."""
        if self._undo is not None:
            self._undo.append(lambda: self.insert(row))
        del self.rows[row[self.key]]
        self._drop_views()

    def next_key(self) -> Any:
        """A new key value: one past the largest numeric key, in the key column's type."""
        numbers = [int(k) for k in self.rows if isinstance(k, int) or (isinstance(k, str) and k.isdigit())]
        number = max(numbers, default=0) + 1
        return number if self.connector.fields[0].type == "int" else str(number)

    def _drop_views(self) -> None:
        self._sorted.clear()
        self._views.clear()


class DataStore:
    """All tables of a catalogue; one lock guards every access (the server thread and test threads)."""

    def __init__(self, catalogue: Catalogue, rows: int, seed: int) -> None:
        self.lock = threading.RLock()
        self.tables = {cid: Table(cid, c, rows, seed) for cid, c in catalogue.get_connectors.items()}

    def page(self, connector_id: str, query: Query) -> list[Row]:
        """The rows of one page (copies, safe to serialise outside the lock)."""
        with self.lock:
            return [dict(r) for r in self.tables[connector_id].page(query)]

    def snapshot(self, connector_id: str) -> list[Row]:
        """Copies of all rows of a table, in table order."""
        with self.lock:
            return [dict(r) for r in self.tables[connector_id].rows.values()]
