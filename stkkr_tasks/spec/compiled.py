"""A stkkr spec compiled for running: every expression compiled once, cheap per-row evaluation.

```python
compiled = compile_spec(spec)
where = compiled.where()              # DNF groups of Filters for the GetConnector, {{ today }} rendered
for row in page:
    if compiled.keep(row):
        action = compiled.action(row)         # insert, update or delete (update.action may be an expression)
        element = compiled.element(row)   # or compiled.delete_keys(row) for action delete
```
Every method raises `ExpressionError` (naming the field path, never a row value) when an expression fails.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from jinja2.runtime import Context

from stkkr_tasks.afas import Element, Filter
from stkkr_tasks.spec._actions import ACTIONS, Action
from stkkr_tasks.spec._walk import Loc, dnf, dnf_where, format_path
from stkkr_tasks.spec.errors import ExpressionError
from stkkr_tasks.spec.expressions import Expression, compile_expression, compile_value, new_scope
from stkkr_tasks.spec.helpers import AMSTERDAM, HELPERS, Lookup
from stkkr_tasks.spec.model import Condition, ElementSpec, GetLookup, StkkrSpec
from stkkr_tasks.spec.sandbox import Row

__all__ = ["CompiledStkkr", "compile_spec"]

_ACTION_NAMES: dict[str, Action] = {action: action for action in ACTIONS}

_WherePlan = list[list[tuple[Condition, Expression | None]]]


def _where_plan(groups: list[list[tuple[Loc, Condition]]]) -> _WherePlan:
    """Compile the `{{ }}` values of where conditions (AND-groups that are OR-ed) once."""
    return [
        [
            (condition, compile_value(condition.value, format_path((*loc, "value")), allow_row=False))
            for loc, condition in group
        ]
        for group in groups
    ]


class _Values:
    """The keys or fields of one element: literals kept as they are, templates compiled."""

    __slots__ = ("items",)

    def __init__(self, values: Mapping[str, Any], loc: Loc) -> None:
        self.items: list[tuple[str, Any, Expression | None]] = [
            (name, value, compile_value(value, format_path((*loc, name)))) for name, value in values.items()
        ]

    def render(self, scope: Context) -> dict[str, Any]:
        return {
            name: value if expression is None else expression.evaluate(scope)
            for name, value, expression in self.items
        }


class _ElementPlan:
    """One element of `transform` (or of its nested objects), ready to render per row.

    An element with `each: rows` renders once per row of the group, with `line` set to that row.
    """

    __slots__ = ("each", "fields", "keys", "objects")

    def __init__(self, spec: ElementSpec, loc: Loc) -> None:
        self.each = spec.each == "rows"
        self.keys = _Values(spec.keys, (*loc, "keys"))
        self.fields = _Values(spec.fields, (*loc, "fields"))
        self.objects: list[tuple[str, list[_ElementPlan]]] = []
        for name, nested in spec.objects.items():
            here = (*loc, "objects", name)
            children = (
                [_ElementPlan(child, (*here, index)) for index, child in enumerate(nested)]
                if isinstance(nested, list)
                else [_ElementPlan(nested, here)]
            )
            self.objects.append((name, children))

    def render(self, scope: Context, lines: Sequence[Row] = ()) -> Element:
        return Element(
            fields=self.fields.render(scope),
            keys=self.keys.render(scope),
            objects={
                name: [element for child in kids for element in child.render_each(scope, lines)]
                for name, kids in self.objects
            },
        )

    def render_each(self, scope: Context, lines: Sequence[Row]) -> list[Element]:
        """This element rendered once, or once per line of the group when it has `each: rows`."""
        if not self.each:
            return [self.render(scope, lines)]
        rendered = []
        for line in lines:
            scope.parent["line"] = line
            rendered.append(self.render(scope, lines))
        return rendered


class CompiledStkkr:
    """A stkkr spec with its expressions compiled in the sandbox; build it with `compile_spec`.

    Attributes:
        spec: The spec it was compiled from.
    """

    def __init__(self, spec: StkkrSpec) -> None:
        self.spec = spec
        static = {name: table for name, table in spec.lookups.items() if not isinstance(table, GetLookup)}
        self.get_lookups: dict[str, GetLookup] = {
            name: table for name, table in spec.lookups.items() if isinstance(table, GetLookup)
        }
        self._static = static
        self._base: dict[str, Any] = {**HELPERS, "lookup": Lookup(static, unread=self.get_lookups)}
        self._filter = compile_expression(spec.filter, "filter") if spec.filter is not None else None
        self._where = _where_plan(dnf(spec))
        self._lookup_wheres = {
            name: _where_plan(dnf_where(table.where, ("lookups", name, "where")))
            for name, table in self.get_lookups.items()
        }
        self._element = _ElementPlan(spec.transform, ("transform",))
        respond = spec.respond
        self._respond = _ElementPlan(respond.transform, ("respond", "transform")) if respond else None
        self._action = compile_value(spec.update.action, "update.action")
        self._order_by = tuple(spec.key_fields)
        self._group_by = tuple(spec.group_by) if spec.group_by else None
        self._unique = tuple(spec.unique) if spec.unique else None
        self._per_thread = threading.local()

    def __repr__(self) -> str:
        return f"CompiledStkkr({self.spec.stkkr!r})"

    @property
    def grouped(self) -> bool:
        """True when the stkkr has `group_by`: one element per group of rows."""
        return self._group_by is not None

    def group_key(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the values of the `group_by` fields (the stkkr must have `group_by`)."""
        return _pick(row, self._group_by or (), "group_by")

    def _scope(
        self, row: Mapping[str, Any] | None, now: datetime | None = None, rows: Sequence[Row] = ()
    ) -> Context:
        """Return the scope for one row (or for `where`, without a row).

        Row scopes are reused per thread: only `row`, `today` and `now` change between rows, so a row costs
        no new scope. Evaluation never awaits, so a scope serves one row at a time.
        """
        moment = datetime.now(AMSTERDAM) if now is None else now
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=AMSTERDAM)
        if row is None:
            return new_scope({**self._base, "today": moment.date(), "now": moment})
        scope = getattr(self._per_thread, "scope", None)
        if scope is None:
            scope = self._per_thread.scope = new_scope(dict(self._base))
        scope.parent.update(row=Row(row), rows=rows, today=moment.date(), now=moment)
        return scope

    def where(self, now: datetime | None = None) -> list[list[Filter]]:
        """Return `get.where` as AND-groups that are OR-ed, with `{{ }}` values rendered.

        Args:
            now: The moment `now` and `today` stand for (default: the current time in Europe/Amsterdam;
                a naive datetime is taken as Amsterdam time).

        Returns:
            `[[f1, f2], [f3]]` meaning (f1 AND f2) OR f3; `[]` when the stkkr has no where.
        """
        return self._render_where(self._where, now)

    def lookup_where(self, name: str, now: datetime | None = None) -> list[list[Filter]]:
        """Return the `where` of GetConnector lookup `name` as AND-groups that are OR-ed (see `where`)."""
        return self._render_where(self._lookup_wheres[name], now)

    def with_lookups(self, tables: Mapping[str, Mapping[str, Any]]) -> CompiledStkkr:
        """Return a copy whose `lookup()` also sees `tables`: the GetConnector lookups read for one run.

        The copy belongs to that run; the tables go when the run drops it. This object stays as it is.
        """
        run = copy.copy(self)
        run._base = {**self._base, "lookup": Lookup({**self._static, **tables}, unread=self.get_lookups)}
        run._per_thread = threading.local()
        return run

    def _render_where(self, plan: _WherePlan, now: datetime | None) -> list[list[Filter]]:
        scope = self._scope(None, now)
        return [
            [
                Filter(
                    condition.field,
                    condition.op,
                    ""
                    if not condition.op.takes_value
                    else (condition.value if expression is None else expression.evaluate(scope)),
                )
                for condition, expression in group
            ]
            for group in plan
        ]

    def keep(self, row: Mapping[str, Any]) -> bool:
        """Return whether the `filter` expression keeps the row (True when the stkkr has no filter)."""
        if self._filter is None:
            return True
        return bool(self._filter.evaluate(self._scope(row)))

    @property
    def unique_fields(self) -> tuple[str, ...]:
        """The `unique` fields (empty without `unique`)."""
        return self._unique or ()

    def unique_key(self, row: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Return the values of the `unique` fields, or None when the stkkr has no `unique`."""
        return None if self._unique is None else _pick(row, self._unique, "unique")

    def row_key(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the values that identify a row: its `get.order_by` (or `input.key`) fields, or its group's
        `group_by`."""
        if self._group_by is not None:
            return self.group_key(row)
        return _pick(row, self._order_by, "input.key" if self.spec.input else "get.order_by")

    def element(self, row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> Element:
        """Return the UpdateConnector element of a row (or group): `transform` rendered.

        Args:
            row: The row, or the first row of the group.
            rows: The rows of the group (with `group_by`): `rows` in expressions, and the lines of each
                sub-object with `each: rows`.
        """
        lines = [Row(line) for line in rows]
        return self._element.render(self._scope(row, rows=lines), lines)

    def action(self, row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> Action:
        """Return the action for a row (or group, see `element`): the fixed one, or what its expression gives.

        Raises:
            ExpressionError: The expression fails, or gives something else than insert, update or delete.
        """
        if self._action is None:
            given: Any = self.spec.update.action
        else:
            given = self._action.evaluate(self._scope(row, rows=[Row(line) for line in rows]))
        action = _ACTION_NAMES.get(given) if isinstance(given, str) else None
        if action is None:
            raise ExpressionError(
                "update.action", "value", "the expression gave something else than insert, update or delete"
            )
        return action

    def delete_keys(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Return the rendered `transform.keys` without their `@`, for a delete."""
        keys = self._element.keys.render(self._scope(row))
        return {name.removeprefix("@"): value for name, value in keys.items()}

    def respond_element(
        self, row: Mapping[str, Any], response: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()
    ) -> Element:
        """Return the element of the `respond` write: `respond.transform` rendered with `response`.

        Args:
            row: The row written (or the first row of the group).
            response: The element AFAS answered the write with (`{}` when it answered none).
            rows: The rows of the group (with `group_by`).

        For a `respond` delete the element holds only the rendered keys (see `Element.keys`).
        """
        if self._respond is None:
            raise ValueError(f"the stkkr {self.spec.stkkr!r} has no respond")
        lines = [Row(line) for line in rows]
        scope = self._scope(row, rows=lines)
        scope.parent["response"] = Row(response, "response")
        return self._respond.render(scope, lines)


def _pick(row: Mapping[str, Any], fields: Sequence[str], where: str) -> tuple[Any, ...]:
    try:
        return tuple(row[field] for field in fields)
    except KeyError:
        missing = next(field for field in fields if field not in row)
        raise ExpressionError(where, "unknown-field", f"the row has no field {missing!r}") from None


def compile_spec(spec: StkkrSpec) -> CompiledStkkr:
    """Compile every expression of a spec once, in the sandbox.

    Raises:
        ExpressionError: When an expression does not compile (a spec from `load_stkkr` always compiles).
    """
    return CompiledStkkr(spec)
