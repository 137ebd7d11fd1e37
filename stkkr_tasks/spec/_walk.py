"""Walks over a validated stkkr spec: its conditions, elements, values and expressions, each with its place.

A place (`Loc`) is a tuple of keys and list indexes, e.g. `("transform", "fields", "DaEn")`; `format_path`
turns it into the text used in messages (`transform.fields.DaEn`, `get.where[1].any[0]`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from stkkr_tasks.spec.expressions import Expression, compile_expression, compile_value

if TYPE_CHECKING:
    from stkkr_tasks.spec.model import AnyGroup, Condition, ElementSpec, StkkrSpec

__all__ = [
    "Loc",
    "conditions",
    "dnf",
    "dnf_size",
    "dnf_where",
    "elements",
    "expressions",
    "format_path",
    "row_fields",
    "transforms",
    "values",
    "where_conditions",
    "wheres",
]

Loc = tuple[str | int, ...]


def format_path(loc: Sequence[str | int]) -> str:
    """Return the message form of a place: keys joined by dots, list indexes in brackets."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _alternatives(
    where: Sequence[Condition | AnyGroup], base: Loc
) -> list[list[list[tuple[Loc, Condition]]]]:
    """Per where item, its alternatives; each alternative is an AND-list of placed conditions."""
    from stkkr_tasks.spec.model import AnyGroup  # lazy: model imports _rules, which imports this module

    items: list[list[list[tuple[Loc, Condition]]]] = []
    for index, item in enumerate(where):
        loc: Loc = (*base, index)
        if not isinstance(item, AnyGroup):
            items.append([[(loc, item)]])
            continue
        options = []
        for number, option in enumerate(item.any):
            here = (*loc, "any", number)
            if isinstance(option, list):
                options.append([((*here, position), condition) for position, condition in enumerate(option)])
            else:
                options.append([(here, option)])
        items.append(options)
    return items


def wheres(spec: StkkrSpec) -> Iterator[tuple[Loc, Sequence[Condition | AnyGroup]]]:
    """Yield every where of the spec with its place: `get.where`, then each GetConnector lookup's."""
    from stkkr_tasks.spec.model import GetLookup  # lazy: model imports _rules, which imports this module

    yield ("get", "where"), _get_where(spec)
    for name, table in spec.lookups.items():
        if isinstance(table, GetLookup):
            yield ("lookups", name, "where"), table.where


def _get_where(spec: StkkrSpec) -> Sequence[Condition | AnyGroup]:
    """`get.where`; empty for a stkkr that reads an uploaded file."""
    return spec.get.where if spec.get is not None else []


def conditions(spec: StkkrSpec) -> Iterator[tuple[Loc, Condition]]:
    """Yield every condition of `get.where`, inside `any:` groups too."""
    yield from where_conditions(_get_where(spec), ("get", "where"))


def where_conditions(where: Sequence[Condition | AnyGroup], base: Loc) -> Iterator[tuple[Loc, Condition]]:
    """Yield every condition of one where list (placed under `base`), inside `any:` groups too."""
    for options in _alternatives(where, base):
        for option in options:
            yield from option


def dnf_size(spec: StkkrSpec, where: Sequence[Condition | AnyGroup] | None = None) -> int:
    """Return how many AND-groups a where (default `get.where`) expands to (0 for no where)."""
    items = _alternatives(_get_where(spec) if where is None else where, ())
    return math.prod(len(options) for options in items) if items else 0


def dnf(spec: StkkrSpec) -> list[list[tuple[Loc, Condition]]]:
    """Expand `get.where` into AND-groups that are OR-ed: (a OR b) AND c becomes [[a, c], [b, c]]."""
    return dnf_where(_get_where(spec), ("get", "where"))


def dnf_where(where: Sequence[Condition | AnyGroup], base: Loc) -> list[list[tuple[Loc, Condition]]]:
    """Expand one where list (placed under `base`) into AND-groups that are OR-ed."""
    items = _alternatives(where, base)
    if not items:
        return []
    return [[pair for option in combination for pair in option] for combination in itertools.product(*items)]


def elements(element: ElementSpec, loc: Loc = ("transform",)) -> Iterator[tuple[Loc, ElementSpec]]:
    """Yield an element and all its nested sub-object elements, with their places."""
    yield loc, element
    for name, nested in element.objects.items():
        if isinstance(nested, list):
            for index, child in enumerate(nested):
                yield from elements(child, (*loc, "objects", name, index))
        else:
            yield from elements(nested, (*loc, "objects", name))


def transforms(spec: StkkrSpec) -> Iterator[tuple[Loc, ElementSpec]]:
    """Yield every element of `transform` and of `respond.transform` (nested objects too), with its place."""
    yield from elements(spec.transform)
    if spec.respond is not None:
        yield from elements(spec.respond.transform, ("respond", "transform"))


def values(spec: StkkrSpec) -> Iterator[tuple[Loc, Any]]:
    """Yield every value of `get.where`, `transform` and `respond.transform` (keys and fields, nested objects
    too)."""
    for base, where in wheres(spec):
        for loc, condition in where_conditions(where, base):
            yield (*loc, "value"), condition.value
    for loc, element in transforms(spec):
        for part in ("keys", "fields"):
            for name, value in getattr(element, part).items():
                yield (*loc, part, name), value


def expressions(spec: StkkrSpec) -> Iterator[tuple[Loc, Expression]]:
    """Yield every expression of the spec (the filter, the action and each `{{ }}` value), compiled."""
    if spec.filter is not None:
        yield ("filter",), compile_expression(spec.filter, "filter")
    action = compile_value(spec.update.action, "update.action")
    if action is not None:
        yield ("update", "action"), action
    for loc, value in values(spec):
        compiled = compile_value(value, format_path(loc), allow_row=loc[0] not in ("get", "lookups"))
        if compiled is not None:
            yield loc, compiled


def row_fields(spec: StkkrSpec) -> dict[str, str]:
    """Every row field the spec reads, each with the first place that reads it (e.g. `input.key`, `filter`).

    The row's key (`input.key` or `get.order_by`), the `input.columns`, `unique` and `group_by` fields,
    and every field an expression reads as `row.X` or `line.X`.
    """
    places: dict[str, str] = {}
    named: list[tuple[str, Sequence[str]]] = [
        ("input.key" if spec.input else "get.order_by", spec.key_fields),
        ("input.columns", list(spec.input.columns) if spec.input else []),
        ("unique", spec.unique or []),
        ("group_by", spec.group_by or []),
    ]
    for place, names in named:
        for name in names:
            places.setdefault(name, place)
    for loc, expression in expressions(spec):
        for name in sorted(expression.info.row_fields):
            places.setdefault(name, format_path(loc))
    return places
