"""GetConnector query parameters: skip/take, ordering and both filter forms, compiled to Python callables.

Semantics follow AFAS: in the simple form ``,`` separates AND-ed filters and ``;`` separates OR-ed groups of
them (the three lists run in parallel); in ``filterjson`` the fields of one ``Filter`` are AND-ed and the
``Filter`` entries are OR-ed. Text compares case-insensitively (SQL Server's usual collation); an empty value
(null) matches only "is empty". ``%`` wildcards around values of the text operators are tolerated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stkkr_tasks.simulator.catalogue import GetConnectorDef, GetFieldDef
from stkkr_tasks.simulator.errors import UNEXPECTED_ERROR, UNEXPECTED_MESSAGE, AfasFault
from stkkr_tasks.simulator.values import BadValue, parse_bool, parse_date, parse_decimal

Row = dict[str, Any]
Predicate = Callable[[Row], bool]
_OPERATORS = range(1, 15)


@dataclass(frozen=True)
class Condition:
    """One filter: field id, AFAS operator code (1-14) and the value as sent."""

    field: str
    op: int
    value: str


@dataclass(frozen=True)
class Query:
    """A parsed GetConnector request."""

    skip: int
    take: int
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    where: tuple[tuple[Condition, ...], ...]  # OR of AND-groups; empty = all rows

    @property
    def all_rows(self) -> bool:
        """The ``skip=-1&take=-1`` form: every row."""
        return self.skip == -1


def _unexpected() -> AfasFault:
    return AfasFault(UNEXPECTED_MESSAGE, UNEXPECTED_ERROR)


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _unexpected() from None


def parse_query(params: Mapping[str, str], connector: GetConnectorDef) -> Query:
    """Parse the query parameters of ``GET /connectors/{id}`` (keys already lower-cased).

    Raises:
        AfasFault: invalid skip/take combination, unknown field, bad operator or value (as AFAS answers).
    """
    skip, take = _int_param(params, "skip", 0), _int_param(params, "take", 100)
    if (skip == -1) != (take == -1) or skip < -1 or take < -1 or (take == 0 and skip != -1):
        raise _unexpected()
    order: list[tuple[str, bool]] = []
    for item in filter(None, (params.get("orderbyfieldids") or "").split(",")):
        name = item.strip()
        descending = name.startswith("-")
        name = name.lstrip("-+")
        _column(connector, name)
        order.append((name, descending))
    if params.get("filterjson"):
        where = _parse_json_filter(params["filterjson"])
    else:
        where = _parse_simple_filter(params)
    for group in where:
        for condition in group:
            _column(connector, condition.field)
    return Query(skip=skip, take=take, order=tuple(order), where=where)


def _column(connector: GetConnectorDef, name: str) -> GetFieldDef:
    field = connector.field(name)
    if field is None:
        raise AfasFault(f"Connector field '{name}' not found", UNEXPECTED_ERROR)
    return field


def _operator(raw: Any) -> int:
    try:
        op = int(str(raw).strip())
    except ValueError:
        raise _unexpected() from None
    if op not in _OPERATORS:
        raise AfasFault(f"Operator type {op} is not supported.", UNEXPECTED_ERROR)
    return op


def _parse_simple_filter(params: Mapping[str, str]) -> tuple[tuple[Condition, ...], ...]:
    fields = params.get("filterfieldids")
    if not fields:
        return ()
    field_groups = fields.split(";")
    value_groups = (params.get("filtervalues") or "").split(";")
    op_groups = (params.get("operatortypes") or "").split(";") if params.get("operatortypes") else None
    if len(value_groups) != len(field_groups) or (
        op_groups is not None and len(op_groups) != len(field_groups)
    ):
        raise _unexpected()
    groups: list[tuple[Condition, ...]] = []
    for index, group in enumerate(field_groups):
        names, values = group.split(","), value_groups[index].split(",")
        ops = op_groups[index].split(",") if op_groups is not None else ["1"] * len(names)
        if not (len(names) == len(values) == len(ops)):
            raise _unexpected()
        groups.append(
            tuple(Condition(n.strip(), _operator(o), v) for n, v, o in zip(names, values, ops, strict=True))
        )
    return tuple(groups)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _parse_json_filter(text: str) -> tuple[tuple[Condition, ...], ...]:
    try:
        filters = _as_list(json.loads(text)["Filters"]["Filter"])
        groups = []
        for entry in filters:
            group = []
            for field in _as_list(entry["Field"]):
                value = field.get("#text", "")
                value = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
                group.append(Condition(str(field["@FieldId"]), _operator(field["@OperatorType"]), value))
            groups.append(tuple(group))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _unexpected() from None
    return tuple(groups)


def _like(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "^" + ".*".join(re.escape(p) for p in pattern.split("%")) + "$", re.IGNORECASE | re.DOTALL
    )


def _text_predicate(name: str, op: int, value: str) -> Predicate:
    text = value.lower()
    if op in (1, 7) and "%" in text:
        regex = _like(text)
        if op == 1:
            return lambda row: row[name] is not None and bool(regex.match(str(row[name])))
        return lambda row: row[name] is not None and not regex.match(str(row[name]))
    core = text.strip("%")
    tests: dict[int, Callable[[str], bool]] = {
        1: lambda v: v == text,
        7: lambda v: v != text,
        2: lambda v: v >= text,
        3: lambda v: v <= text,
        4: lambda v: v > text,
        5: lambda v: v < text,
        6: lambda v: core in v,
        11: lambda v: core not in v,
        10: lambda v: v.startswith(core),
        12: lambda v: not v.startswith(core),
        13: lambda v: v.endswith(core),
        14: lambda v: not v.endswith(core),
    }
    test = tests[op]
    return lambda row: row[name] is not None and test(str(row[name]).lower())


def _typed_value(field: GetFieldDef, value: str) -> Any:
    if field.type == "boolean":
        return parse_bool(value)
    if field.type in ("int", "decimal"):
        return parse_decimal(value)
    if field.type == "date":
        return parse_date(value, allow_z=False)
    return value


_COMPARE: dict[int, Callable[[Any, Any], bool]] = {
    1: lambda a, b: a == b,
    7: lambda a, b: a != b,
    2: lambda a, b: a >= b,
    3: lambda a, b: a <= b,
    4: lambda a, b: a > b,
    5: lambda a, b: a < b,
}


def condition_predicate(connector: GetConnectorDef, condition: Condition) -> Predicate:
    """A predicate that holds for the rows meeting one condition."""
    field = _column(connector, condition.field)
    name, op = field.id, condition.op
    if op == 8:
        return lambda row: row[name] is None or row[name] == ""
    if op == 9:
        return lambda row: row[name] is not None and row[name] != ""
    if field.type in ("string", "blob") or op not in _COMPARE:
        return _text_predicate(name, op, condition.value)
    try:
        target = _typed_value(field, condition.value)
    except BadValue:
        raise AfasFault(f"Invalid filter value for field '{name}'.", UNEXPECTED_ERROR) from None
    compare = _COMPARE[op]
    return lambda row: row[name] is not None and compare(row[name], target)


def compile_where(connector: GetConnectorDef, where: tuple[tuple[Condition, ...], ...]) -> Predicate | None:
    """A row predicate for the OR of AND-groups, or None when there is no filter.

    Raises:
        AfasFault: a value does not fit its field's type.
    """
    if not where:
        return None
    groups = [[condition_predicate(connector, c) for c in group] for group in where]
    if len(groups) == 1:
        only = groups[0]
        return lambda row: all(p(row) for p in only)
    return lambda row: any(all(p(row) for p in group) for group in groups)


def sort_rows(rows: list[Row], order: tuple[tuple[str, bool], ...], connector: GetConnectorDef) -> list[Row]:
    """Rows sorted on the order fields (nulls first ascending, text case-insensitively), stable."""
    result = list(rows)
    for name, descending in reversed(order):
        text = (connector.field(name) or GetFieldDef(id=name)).type in ("string", "blob")
        if text:
            result.sort(
                key=lambda r: (r[name] is not None, str(r[name]).lower() if r[name] is not None else ""),
                reverse=descending,
            )
        else:
            result.sort(
                key=lambda r: (r[name] is not None, r[name] if r[name] is not None else 0), reverse=descending
            )
    return result


def split_seek(query: Query) -> tuple[tuple[tuple[Condition, ...], ...], Condition] | None:
    """Split a by-key page request into its filter and its seek, when it has that shape.

    A client paging by key asks for `(where) AND first_order_field > last_value` (or `>=`) on an ascending
    order; every AND-group then ends with that same condition. Returns (the filter without it, the condition),
    or None for any other request.
    """
    if not query.where or not query.order or query.order[0][1]:
        return None
    last = query.where[0][-1]
    if last.op not in (2, 4) or last.field.lower() != query.order[0][0].lower():
        return None
    if any(group[-1] != last for group in query.where):
        return None
    rest = tuple(group[:-1] for group in query.where)
    return (() if any(not group for group in rest) else rest), last


def where_columns(where: tuple[tuple[Condition, ...], ...]) -> frozenset[str]:
    """The field ids a filter reads."""
    return frozenset(c.field for group in where for c in group)
