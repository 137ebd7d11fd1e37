"""Parse UpdateConnector bodies and validate them against the connector's metainfo, as AFAS does.

Accepted shapes (all seen in AFAS's own examples): ``{"<Connector>": {"Element": {...}}}`` where an element
has ``@Key`` attributes, ``Fields`` and ``Objects``; ``Objects`` as an array of single-key objects or as a
map; a sub-object's ``Element`` as one object or an array. Booleans may be ``true``/``false`` or
``"1"``/``"0"``.
Error messages name the field and the object, never the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stkkr_tasks.simulator.catalogue import UpdateFieldDef, UpdateObjectDef
from stkkr_tasks.simulator.errors import AfasFault
from stkkr_tasks.simulator.values import BadValue, to_row_value

_ACTIONS = frozenset({"insert", "update", "delete"})


@dataclass
class ParsedElement:
    """One validated element: converted field values (``@`` attributes included) and its sub-objects."""

    values: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, list[ParsedElement]] = field(default_factory=dict)

    def value(self, path: str) -> tuple[bool, Any]:
        """(present, value) of a field path such as ``Ds`` or ``KnBasicAddressAdr.Ad`` (first element)."""
        *names, field_id = path.split(".")
        node: ParsedElement = self
        for name in names:
            children = node.objects.get(name)
            if not children:
                return False, None
            node = children[0]
        return (field_id in node.values), node.values.get(field_id)


def _label(f: UpdateFieldDef) -> str:
    return f"'{f.label or f.field_id}' ({f.field_id})"


def _check_value(obj: UpdateObjectDef, definition: UpdateFieldDef, raw: Any) -> Any:
    try:
        value = to_row_value(definition.type, raw)
    except BadValue as exc:
        raise AfasFault(
            f"Invalid value for field {_label(definition)} in object '{obj.name}': {exc}."
        ) from None
    if (
        isinstance(value, str)
        and definition.type in ("string", "blob")
        and 0 < definition.length < len(value)
    ):
        raise AfasFault(
            f"The value for field {_label(definition)} in object '{obj.name}' is longer than "
            f"{definition.length} characters."
        )
    if definition.values is not None and value not in (None, ""):
        allowed = {v.id for v in definition.values}
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text not in allowed:
            raise AfasFault(
                f"The entered value for {_label(definition)} in object '{obj.name}' does not exist."
            )
    return value


def _elements(obj: UpdateObjectDef, container: Any) -> list[dict[str, Any]]:
    if not isinstance(container, dict) or "Element" not in container:
        raise AfasFault(f"Object '{obj.name}' has no Element.")
    element = container["Element"]
    items = element if isinstance(element, list) else [element]
    if not items or not all(isinstance(i, dict) for i in items):
        raise AfasFault(f"Object '{obj.name}' has an invalid Element.")
    if len(items) > 1 and obj.multiple is False:
        raise AfasFault(f"Object '{obj.name}' does not support supplying multiple lines.")
    return items


def _sub_objects(raw: Any, obj: UpdateObjectDef) -> list[tuple[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        return list(raw.items())
    if isinstance(raw, list) and all(isinstance(i, dict) for i in raw):
        return [pair for item in raw for pair in item.items()]
    raise AfasFault(f"Objects of '{obj.name}' must be an object or an array.")


def parse_element(obj: UpdateObjectDef, raw: dict[str, Any], insert: bool) -> ParsedElement:
    """Validate one element against its object's metainfo.

    Args:
        obj: metainfo of the object.
        raw: the element as sent (``@`` attributes, ``Fields``, ``Objects``).
        insert: check mandatory fields (inserts only).

    Raises:
        AfasFault: unknown field or object, wrong type, too long, value not allowed, mandatory field missing.
    """
    parsed = ParsedElement()
    fields = raw.get("Fields") or {}
    if not isinstance(fields, dict):
        raise AfasFault(f"Fields of object '{obj.name}' must be an object.")
    given = {k[1:]: v for k, v in raw.items() if k.startswith("@")} | dict(fields)
    for name, value in given.items():
        if name.lstrip("@").lower() == "action":
            if str(value).lower() not in _ACTIONS:
                raise AfasFault(f"Unknown action in object '{obj.name}'.")
            continue
        definition = obj.field(name)
        if definition is None:
            raise AfasFault(f"Field '{name}' does not exist in object '{obj.name}'.")
        parsed.values[name] = _check_value(obj, definition, value)
    if insert:
        for definition in obj.fields:
            if definition.mandatory and parsed.values.get(definition.field_id) in (None, ""):
                raise AfasFault(f"Field {_label(definition)} is mandatory in object '{obj.name}'.")
    for name, container in _sub_objects(raw.get("Objects"), obj):
        sub = obj.object(name)
        if sub is None:
            raise AfasFault(f"Object '{name}' does not exist in object '{obj.name}'.")
        children = [parse_element(sub, item, insert) for item in _elements(sub, container)]
        parsed.objects.setdefault(name, []).extend(children)
    return parsed


def parse_body(
    connector_id: str, root: UpdateObjectDef, body: Any, insert: bool, *, arrays: bool = True
) -> list[ParsedElement]:
    """Validate a POST/PUT body; a top-level Element array gives several records (all or nothing).

    Args:
        connector_id: The UpdateConnector id of the URL.
        root: The root object (its name is the body's root key: the connector's, or e.g. FiEntryPar).
        body: The parsed JSON body.
        insert: Check mandatory fields (inserts only).
        arrays: False answers a top-level Element array as a connector that takes one record does.

    Raises:
        AfasFault: the body does not have AFAS's shape or does not validate.
    """
    if not isinstance(body, dict) or len(body) != 1:
        raise AfasFault(f"The request body must have one root object named '{root.name}'.")
    ((name, container),) = body.items()
    if name != root.name:
        raise AfasFault(f"The root object '{name}' does not match UpdateConnector '{connector_id}'.")
    if not arrays and isinstance(container, dict) and isinstance(container.get("Element"), list):
        raise AfasFault(f"Object '{root.name}' has an invalid Element.")
    return [parse_element(root, item, insert) for item in _elements(root, container)]
