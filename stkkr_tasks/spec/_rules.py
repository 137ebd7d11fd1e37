"""Checks of a stkkr spec that span several fields, reported all at once with their places."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from stkkr_tasks.spec._values import problem, undeclared_table
from stkkr_tasks.spec._walk import Loc, dnf_size, elements, expressions, transforms, wheres

if TYPE_CHECKING:
    from stkkr_tasks.spec.model import StkkrSpec

__all__ = ["MAX_WHERE_GROUPS", "raise_problems", "rule_problems"]

RESERVED_NAME = "overview"
"""No stkkr may be called this: its summary artifact `stkkr-<name>` would be the overview's key."""

MAX_WHERE_GROUPS = 64
"""The most AND-groups `get.where` may expand to (AFAS's query length allows few more anyway)."""


def raise_problems(spec: StkkrSpec) -> None:
    """Raise a `ValidationError` listing every rule problem of the spec, if there is any."""
    found = list(rule_problems(spec))
    if found:
        raise ValidationError.from_exception_data(
            "StkkrSpec",
            [InitErrorDetails(type=problem(message), loc=loc, input=None) for loc, message in found],
        )


def rule_problems(spec: StkkrSpec) -> Iterator[tuple[Loc, str]]:
    """Yield (place, message) for every broken cross-field rule."""
    yield from _source_rules(spec)
    yield from _action_rules(spec)
    yield from _respond_rules(spec)
    yield from _group_rules(spec)
    if spec.unique:
        yield from _duplicates(("unique",), spec.unique)
    yield from _duplicates(("then",), spec.then)
    yield from _alert_rules(spec)
    if spec.stkkr == RESERVED_NAME:
        yield (
            ("stkkr",),
            f"{RESERVED_NAME!r} is reserved (the Prefect artifact stkkr-{RESERVED_NAME} lists all stkkrs)",
        )
    for index, name in enumerate(spec.then):
        if name == spec.stkkr:
            yield ("then", index), "a stkkr cannot start itself"
    if spec.max_errors is not None and spec.on_error == "stop":
        yield ("max_errors",), "has no effect with on_error: stop (the first failure stops the run)"
    if dnf_size(spec) > MAX_WHERE_GROUPS:
        yield ("get", "where"), f"the any: groups combine into more than {MAX_WHERE_GROUPS} alternatives"
    for loc, where in wheres(spec):
        if loc[0] == "lookups" and dnf_size(spec, where) > MAX_WHERE_GROUPS:
            yield loc, f"the any: groups combine into more than {MAX_WHERE_GROUPS} alternatives"
    for loc, expression in expressions(spec):  # a spec validated without the loader's context
        for table in sorted(expression.info.lookups - spec.lookups.keys()):
            yield loc, undeclared_table(table, spec.lookups.keys())


def _source_rules(spec: StkkrSpec) -> Iterator[tuple[Loc, str]]:
    """A stkkr reads exactly one source: a GetConnector (`get`) or an uploaded file (`input`)."""
    if spec.get is None and spec.input is None:
        yield ("get",), "give get: (a GetConnector to read) or input: (a file uploaded per run)"
    if spec.get is not None and spec.input is not None:
        yield ("input",), "a stkkr reads either a GetConnector (get:) or an uploaded file (input:), not both"
    if spec.get is not None:
        yield from _duplicates(("get", "order_by"), spec.get.order_by)
    if spec.input_delete and spec.input is None:
        yield ("input_delete",), "only a stkkr with input: has an uploaded file to delete"
    upload = spec.input
    if upload is None:
        return
    yield from _duplicates(("input", "key"), upload.key)
    if upload.format == "xlsx":
        if upload.delimiter is not None:
            yield ("input", "delimiter"), "delimiter is for csv files; an xlsx file has none"
        if upload.encoding != type(upload).model_fields["encoding"].default:
            yield ("input", "encoding"), "encoding is for csv files; an xlsx file has none"
    elif upload.sheet is not None:
        yield ("input", "sheet"), "sheet is for xlsx files; a csv file has none"


def _alert_rules(spec: StkkrSpec) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates(("alerts",), [alert.slug for alert in spec.alerts])
    for index, alert in enumerate(spec.alerts):
        yield from _duplicates(("alerts", index, "notify"), alert.notify)
        if alert.slug.startswith("no-success-for") and spec.schedule is None:
            yield ("alerts", index, "when"), "no_success_for needs a schedule (a manual stkkr has no rhythm)"


def _action_rules(spec: StkkrSpec) -> Iterator[tuple[Loc, str]]:
    top = spec.transform
    actions = spec.update.actions
    writes = sorted(actions - {"delete"})
    reads_all = spec.get is not None and not spec.get.where and spec.filter is None
    if actions == {"delete"} and reads_all and not spec.confirm_all:
        yield (
            ("update", "action"),
            "a delete without get.where or filter deletes every record the GetConnector returns; "
            "add a where or filter, or `confirm_all: true` if that is what you want",
        )
    if "delete" in actions and not top.keys:
        yield (
            ("transform", "keys"),
            "a delete needs transform.keys: the key fields of the record to delete",
        )
    if not writes:
        if spec.update.batch > 1:
            yield ("update", "batch"), "deletes go one per request (the key is in the URL); remove batch"
        if top.fields or top.objects:
            part = "fields" if top.fields else "objects"
            yield ("transform", part), f"a delete sends only keys; remove transform.{part}"
        return
    if spec.update.object is not None and "delete" not in actions:
        yield (
            ("update", "object"),
            "only a delete names a sub-object; inserts and updates use transform.objects",
        )
    if not top.fields and not top.objects:
        yield ("transform", "fields"), f"an {' or '.join(writes)} needs transform.fields: the fields to write"
    for loc, element in elements(top):
        if loc != ("transform",) and not element.fields and not element.keys:
            yield loc, "a sub-object needs fields (or keys)"


def _group_rules(spec: StkkrSpec) -> Iterator[tuple[Loc, str]]:
    """`group_by` fits `order_by` and `unique`; `each`, `line` and `rows` only where a group gives them."""
    group = spec.group_by or []
    if group:
        yield from _duplicates(("group_by",), group)
        if spec.get is not None and spec.get.order_by[: len(group)] != group:
            yield (
                ("get", "order_by"),
                f"must start with the group_by fields ({', '.join(group)}): groups must arrive in one piece",
            )
        for index, name in enumerate(spec.unique or ()):
            if name not in group:
                yield ("unique", index), f"{name!r} is not a group_by field: unique works per group"
    per_line = {loc for loc, element in transforms(spec) if element.each}
    for loc in sorted(per_line, key=str):
        if not group:
            yield (*loc, "each"), "each: rows needs group_by: without groups there is one row per element"
        elif loc in (("transform",), ("respond", "transform")):
            yield (*loc, "each"), "each: rows belongs to a sub-object; the element itself is the group"
    for loc, expression in expressions(spec):
        names = expression.info.group_names
        if "rows" in names and not group:
            yield loc, "'rows' is only available with group_by"
        if "line" in names and not any(loc[: len(place)] == place for place in per_line):
            yield loc, "'line' is only available inside a sub-object with each: rows"


def _respond_rules(spec: StkkrSpec) -> Iterator[tuple[Loc, str]]:
    """`response` only in `respond`; the response write has what its action needs; one element per request."""
    for loc, expression in expressions(spec):
        if expression.info.uses_response and loc[0] != "respond":
            yield loc, "'response' is only available in respond.transform (AFAS's answer to the write)"
    respond = spec.respond
    if respond is None:
        return
    top, action, base = respond.transform, respond.update.action, ("respond", "transform")
    if spec.update.batch > 1:
        yield (
            ("update", "batch"),
            "respond needs AFAS's answer per element, and AFAS answers a request of several elements with "
            "one list that does not say which element each entry belongs to; remove batch or respond",
        )
    if action == "delete":
        if not top.keys:
            yield (*base, "keys"), "a delete needs keys: the key fields of the record to delete"
        if top.fields or top.objects:
            part = "fields" if top.fields else "objects"
            yield (*base, part), f"a delete sends only keys; remove respond.transform.{part}"
        return
    if respond.update.object is not None:
        yield ("respond", "update", "object"), "only a delete names a sub-object; use transform.objects"
    if not top.fields and not top.objects:
        yield (*base, "fields"), f"an {action} needs respond.transform.fields: the fields to write"


def _duplicates(loc: Loc, names: Sequence[str]) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            yield (*loc, index), f"{name!r} is listed twice"
        seen.add(name)
