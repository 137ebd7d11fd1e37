"""Check a stkkr spec against the metainfo of the AFAS environment it will run on.

The GetConnector and UpdateConnector must exist for the token; every row field the spec reads (where,
order_by, unique, `row.X` in expressions) must be a field of the GetConnector; every transform key, field
and object must exist in the UpdateConnector; inserts must fill its mandatory fields; literal values must
fit the field's type, length and allowed values, and so must the values of a lookup table that is the whole
value of a field (`{{ lookup('table', row.X, 'default') }}`); a sub-object that gets several lines (a list,
or `each: rows`) must take several. An `update.action` expression is checked for every action it can give
(all three when it cannot tell): an insert among them needs the mandatory fields.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stkkr_tasks.spec._walk import Loc, conditions, elements, expressions, where_conditions
from stkkr_tasks.spec.errors import Problem
from stkkr_tasks.spec.expressions import is_template
from stkkr_tasks.spec.fits import misfit
from stkkr_tasks.spec.model import Condition, ElementSpec, GetLookup, GetSpec, StkkrSpec

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient
    from stkkr_tasks.afas.models import (
        AllowedValue,
        GetConnectorMeta,
        GetField,
        UpdateConnectorMeta,
        UpdateObjectMeta,
    )

__all__ = ["OnlineCheck", "check_online", "validate_online"]

_WHOLE_LOOKUP = re.compile(r"""^\{\{\s*lookup\(\s*['"]([^'"]+)['"][^{}]*\)\s*\}\}$""")
"""A template that is one call of lookup('table', ...) and nothing else: the field gets the table's values."""


def _hint(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class OnlineCheck:
    """What checking a spec against the environment found.

    Attributes:
        problems: Every problem, in file order; empty when the spec fits the environment.
        names: The connectors' names, field ids and labels (from metainfo), which AFAS's messages name.
        update_meta: The UpdateConnector's metainfo, or None when it does not exist.
    """

    problems: list[Problem]
    names: frozenset[str] = frozenset()
    update_meta: UpdateConnectorMeta | None = None


async def validate_online(
    spec: StkkrSpec, client: AfasClient, writers: Mapping[str, AfasClient] | None = None
) -> list[Problem]:
    """Check a spec against the environment's metainfo.

    Args:
        spec: A validated spec (from `load_stkkr`, whose file and lines the problems use).
        client: An open client of the environment the stkkr reads (its `connection`).
        writers: Open clients of the other connections it writes with (`update.connection`,
            `respond.update.connection`), by name; each UpdateConnector is checked where it is written.

    Returns:
        Every problem found, in file order; empty when the spec fits the environment.

    Raises:
        AfasError: When AFAS cannot be asked (unreachable, refused token, ...).
    """
    return (await check_online(spec, client, writers)).problems


async def check_online(
    spec: StkkrSpec, client: AfasClient, writers: Mapping[str, AfasClient] | None = None
) -> OnlineCheck:
    """Check a spec against the environments' metainfo, and keep the names the metainfo gives.

    Args:
        spec: A validated spec.
        client: An open client of the environment the stkkr reads.
        writers: Open clients of the other connections it writes with, by name (see `validate_online`).

    Raises:
        AfasError: When AFAS cannot be asked (unreachable, refused token, ...).
        KeyError: A connection the stkkr writes with has no client in `writers`.
    """
    clients = {spec.connection: client, **(writers or {})}
    checker = _Checker(spec)
    update_meta: UpdateConnectorMeta | None = None
    names: set[str] = set()
    connectors = await client.list_connectors()
    get_ids = [info.id for info in connectors.get_connectors]
    get = spec.get  # None for an uploaded file: a run (or `validate --input`) checks its header
    if get is not None and get.connector in get_ids:
        names.add(get.connector)
        get_meta = await client.get_connector_meta(get.connector)
        names |= get_meta.names()
        checker.get(get, get_meta)
    elif get is not None:
        name = get.connector
        names.add(name)
        checker.add(("get", "connector"), f"GetConnector {name!r} does not exist{_hint(name, get_ids)}")
    for name, lookup in spec.lookups.items():
        if not isinstance(lookup, GetLookup):
            continue
        if lookup.connector in get_ids:
            lookup_meta = await client.get_connector_meta(lookup.connector)
            checker.lookup(name, lookup, lookup_meta)
        else:
            checker.add(
                ("lookups", name, "connector"),
                f"GetConnector {lookup.connector!r} does not exist{_hint(lookup.connector, get_ids)}",
            )
    listed = {id(client): connectors}
    for target in _targets(spec):
        writer = clients[target.connection]
        if id(writer) not in listed:
            listed[id(writer)] = await writer.list_connectors()
        update_ids = [info.id for info in listed[id(writer)].update_connectors]
        where = "" if target.connection == spec.connection else f" in connection {target.connection!r}"
        names |= {target.connector, target.object or ""}
        if target.connector in update_ids:
            meta = await writer.update_connector_meta(target.connector)
            names |= meta.names()
            checker.update(meta, target, where)
            if target.base == ("update",):
                update_meta = meta
        else:
            hint = _hint(target.connector, update_ids)
            checker.add(
                (*target.base, "connector"),
                f"UpdateConnector {target.connector!r} does not exist{where}{hint}",
            )
    problems = sorted(checker.problems, key=lambda problem: problem.line or 0)
    return OnlineCheck(problems, frozenset(names - {""}), update_meta)


@dataclass(frozen=True)
class _Target:
    """One write of the stkkr: `update` with `transform`, or `respond.update` with `respond.transform`."""

    base: Loc
    connection: str
    connector: str
    object: str | None
    actions: frozenset[str]
    element: ElementSpec
    element_loc: Loc


def _targets(spec: StkkrSpec) -> list[_Target]:
    update = spec.update
    found = [
        _Target(
            ("update",),
            spec.write_connection,
            update.connector,
            update.object,
            update.actions,
            spec.transform,
            ("transform",),
        )
    ]
    if spec.respond is not None and spec.respond_connection is not None:
        respond = spec.respond.update
        found.append(
            _Target(
                ("respond", "update"),
                spec.respond_connection,
                respond.connector,
                respond.object,
                frozenset({respond.action}),
                spec.respond.transform,
                ("respond", "transform"),
            )
        )
    return found


class _Checker:
    def __init__(self, spec: StkkrSpec) -> None:
        self.spec = spec
        self.problems: list[Problem] = []
        self.missing: set[Loc] = set()

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(self.spec.problem_at(loc, message))

    def get(self, get: GetSpec, meta: GetConnectorMeta) -> None:
        spec, fields = self.spec, {field.id: field for field in meta.fields}
        owner = f"GetConnector {get.connector!r}"

        def known(loc: Loc, name: str, *, read_as_row: bool = False) -> bool:
            if name not in fields:
                what = (
                    f"row.{name} is not a field of {owner}"
                    if read_as_row
                    else f"{owner} has no field {name!r}"
                )
                self.add(loc, f"{what}{_hint(name, fields)}")
            return name in fields

        self._conditions(conditions(spec), fields, owner)
        for index, name in enumerate(get.order_by):
            known(("get", "order_by", index), name)
        for index, name in enumerate(spec.unique or ()):
            known(("unique", index), name)
        for loc, expression in expressions(spec):
            for name in sorted(expression.info.row_fields):
                known(loc, name, read_as_row=True)

    def lookup(self, name: str, lookup: GetLookup, meta: GetConnectorMeta) -> None:
        """Check a GetConnector lookup's key, value and where fields against its connector's metainfo."""
        fields = {field.id: field for field in meta.fields}
        owner = f"GetConnector {lookup.connector!r}"
        base: Loc = ("lookups", name)
        named = [(("key",), lookup.key), *([(("value",), lookup.value)] if lookup.value else [])]
        for part, field_id in named:
            if field_id not in fields:
                self.add((*base, *part), f"{owner} has no field {field_id!r}{_hint(field_id, fields)}")
        self._conditions(where_conditions(lookup.where, (*base, "where")), fields, owner)

    def _conditions(
        self, placed: Iterable[tuple[Loc, Condition]], fields: Mapping[str, GetField], owner: str
    ) -> None:
        """Check where conditions: each field must exist, each literal value must fit the field."""
        for loc, condition in placed:
            field = fields.get(condition.field)
            if field is None:
                hint = _hint(condition.field, fields)
                self.add((*loc, "field"), f"{owner} has no field {condition.field!r}{hint}")
            elif condition.op.takes_value:
                problem = _misfit(condition.value, field.data_type, field.length, field.decimals, None)
                if problem:
                    self.add((*loc, "value"), f"{problem} (field {condition.field!r} of {owner})")

    def update(self, meta: UpdateConnectorMeta, target: _Target, where: str = "") -> None:
        """Check a write's element (keys, fields, objects, mandatory fields) against its UpdateConnector."""
        owner = f"UpdateConnector {target.connector!r}{where}"
        found: UpdateConnectorMeta | UpdateObjectMeta | None = meta
        if target.actions == {"delete"} and target.object is not None:
            found = meta.object(target.object)
            if found is None:
                names = [item.name for item in meta.objects]
                hint = _hint(target.object, names)
                self.add((*target.base, "object"), f"{owner} has no sub-object {target.object!r}{hint}")
                return
            owner = f"{owner} object {target.object!r}"
        for loc, element in elements(target.element, target.element_loc):
            located = self._object_meta(found, loc, owner)
            if located is not None:
                self._element(element, loc, *located, inserts="insert" in target.actions)
                self._lines(element, loc, *located)

    def _lines(self, element: ElementSpec, loc: Loc, meta: Any, owner: str) -> None:
        """A sub-object that gets several lines must take several, when the metainfo says so."""
        for name, nested in element.objects.items():
            children = nested if isinstance(nested, list) else [nested]
            sub = meta.object(name)
            several = len(children) > 1 or any(child.each for child in children)
            if several and sub is not None and sub.multiple is False:
                self.add(
                    (*loc, "objects", name),
                    f"{owner} object {name!r} takes one line only (metainfo); it cannot get several",
                )

    def _object_meta(self, meta: Any, loc: Loc, owner: str) -> tuple[Any, str] | None:
        """Return the metainfo of the (sub-)object at `loc`, reporting a sub-object that does not exist."""
        parts = iter(enumerate(loc))
        for index, part in parts:
            if part != "objects":
                continue
            _, name = next(parts)
            sub = meta.object(name)
            if sub is None:
                place = loc[: index + 2]
                if place not in self.missing:
                    self.missing.add(place)
                    hint = _hint(str(name), [item.name for item in meta.objects])
                    self.add(place, f"{owner} has no sub-object {name!r}{hint}")
                return None
            meta, owner = sub, f"{owner} object {name!r}"
        return meta, owner

    def _lookup_values(self, template: str, field: Any, target: str) -> None:
        """A field whose whole value is `{{ lookup('table', ...) }}` gets the table's values: check each."""
        match = _WHOLE_LOOKUP.match(template)
        table = self.spec.lookups.get(match.group(1)) if match else None
        if not isinstance(table, dict):  # a GetConnector lookup's values are AFAS's own
            return
        for key, value in table.items():
            problem = _misfit(value, field.data_type, field.length, field.decimals, field.values)
            if problem and match:
                self.add(("lookups", match.group(1), key), f"{problem} (it goes to {target})")

    def _element(self, element: ElementSpec, loc: Loc, meta: Any, owner: str, *, inserts: bool) -> None:
        for part in ("keys", "fields"):
            for name, value in getattr(element, part).items():
                field_id = name.removeprefix("@")
                field = meta.field(field_id)
                if field is None:
                    hint = _hint(field_id, [item.field_id for item in meta.fields])
                    self.add((*loc, part, name), f"{owner} has no field {field_id!r}{hint}")
                    continue
                if not (isinstance(value, str) and is_template(value)):
                    problem = _misfit(value, field.data_type, field.length, field.decimals, field.values)
                    if problem:
                        self.add((*loc, part, name), f"{problem} (field {field_id!r} of {owner})")
                else:
                    self._lookup_values(value, field, f"field {field_id!r} of {owner}")
        if inserts:
            filled = {name.removeprefix("@") for name in (*element.keys, *element.fields)}
            for field in meta.fields:
                if field.mandatory and field.field_id not in filled:
                    label = f" ({field.label})" if field.label else ""
                    self.add(
                        (*loc, "fields"),
                        f"mandatory field {field.field_id!r}{label} of {owner} is not filled",
                    )


def _misfit(
    value: Any, data_type: str, length: int, decimals: int, allowed: list[AllowedValue] | None
) -> str | None:
    """Return why a literal value does not fit a field, or None when it fits. Never repeats the value.

    Besides what AFAS refuses (`misfit`), a literal number must not have more decimals than the field.
    """
    problem = misfit(value, data_type, length, allowed)
    if problem is None and data_type.lower() == "decimal" and isinstance(value, float | Decimal):
        exponent = Decimal(str(value)).as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals >= 0:
            return f"has more than {decimals} decimals"
    return problem
