"""Apply validated UpdateConnector writes to the GetConnector rows their catalogue target names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from stkkr_tasks.simulator.catalogue import TargetDef, UpdateObjectDef, template_fields
from stkkr_tasks.simulator.datagen import format_date
from stkkr_tasks.simulator.errors import AfasFault
from stkkr_tasks.simulator.tables import Table
from stkkr_tasks.simulator.validation import ParsedElement
from stkkr_tasks.simulator.values import BadValue, to_row_value

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _now() -> str:
    return format_date(datetime.now(_AMSTERDAM).replace(tzinfo=None, microsecond=0))


def _column_value(table: Table, column: str, value: Any) -> Any:
    data_type = (table.connector.field(column) or table.connector.fields[0]).type
    try:
        return to_row_value(data_type, value)
    except BadValue:
        raise AfasFault(f"The value for '{column}' cannot be stored.") from None


def _mapped(table: Table, target: TargetDef, element: ParsedElement) -> dict[str, Any]:
    """Column values for the update fields present in the element."""
    changes: dict[str, Any] = {}
    for column, spec in target.columns.items():
        paths = template_fields(spec)
        found = [element.value(p) for p in paths]
        if not all(present for present, _ in found):
            continue
        if paths == [spec]:
            changes[column] = _column_value(table, column, found[0][1])
            continue
        text = spec
        for path, (_, value) in zip(paths, found, strict=True):
            text = text.replace("{" + path + "}", "" if value is None else str(value))
        changes[column] = re.sub(r"\s+", " ", text).strip() or None
    return changes


def _key_match(
    table: Table, target: TargetDef, element: ParsedElement
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields, columns) of the first key set fully present in the element; empty when none is."""
    for keys in target.keys:
        found = {path: element.value(path) for path in keys}
        if all(present and value not in (None, "") for present, value in found.values()):
            fields = {path.split(".")[-1]: value for path, (_, value) in found.items()}
            columns = {
                keys[path]: _column_value(table, keys[path], value) for path, (_, value) in found.items()
            }
            return fields, columns
    return {}, {}


def _find(table: Table, target: TargetDef, columns: Mapping[str, Any]) -> dict[str, Any] | None:
    scope = {c: _column_value(table, c, v) for c, v in target.scope.items()}
    return table.find(dict(columns) | scope)


def insert(connector_id: str, table: Table, target: TargetDef, element: ParsedElement) -> dict[str, Any]:
    """Insert a row; returns the new record's key fields (AFAS's ``results`` entry).

    Raises:
        AfasFault: a record with the given key exists already.
    """
    fields, columns = _key_match(table, target, element)
    if columns and table.find(columns) is not None:
        raise AfasFault(f"A record with this key already exists ({connector_id}).")
    if not columns:
        columns = {table.key: table.next_key()}
        first = target.keys[0] if target.keys else {}
        fields = {path.split(".")[-1]: columns[table.key] for path, col in first.items() if col == table.key}
    row = dict.fromkeys((f.id for f in table.connector.fields), None)
    row.update({c: _column_value(table, c, v) for c, v in target.scope.items()})
    row.update(_mapped(table, target, element))
    row.update(columns)
    now = _now()
    row.update(dict.fromkeys((*target.created, *target.modified), now))
    table.insert(row)
    return fields


def update(connector_id: str, table: Table, target: TargetDef, element: ParsedElement) -> dict[str, Any]:
    """Update the row the element's key names; returns its key fields.

    Raises:
        AfasFault: no key given, or no row has it.
    """
    fields, columns = _key_match(table, target, element)
    row = _find(table, target, columns) if columns else None
    if row is None:
        raise AfasFault(f"The record to update does not exist ({connector_id}): check the key fields.")
    changes = _mapped(table, target, element)
    for column in columns:
        changes.pop(column, None)
    if changes:
        changes.update(dict.fromkeys(target.modified, _now()))
    table.update(row, changes)
    return fields


def delete(connector_id: str, table: Table, target: TargetDef, keys: Mapping[str, str]) -> None:
    """Delete the row named by URL key fields (``{field_id: text}``).

    Raises:
        AfasFault: the key fields do not identify a row of this connector.
    """
    mapping = {path.split(".")[-1]: column for key_set in target.keys for path, column in key_set.items()}
    mapping |= {spec: column for column, spec in target.columns.items() if template_fields(spec) == [spec]}
    columns = {}
    for name, value in keys.items():
        if name not in mapping:
            raise AfasFault(f"The record to delete does not exist ({connector_id}): check the key fields.")
        columns[mapping[name]] = _column_value(table, mapping[name], value)
    row = _find(table, target, columns)
    if row is None:
        raise AfasFault(f"The record to delete does not exist ({connector_id}): check the key fields.")
    table.delete(row)


def check_delete_keys(obj: UpdateObjectDef, keys: Mapping[str, str]) -> None:
    """Every URL key must be a field of the object.

    Raises:
        AfasFault: a key is not a field of the object.
    """
    for name in keys:
        if obj.field(name) is None:
            raise AfasFault(f"Field '{name}' does not exist in object '{obj.name}'.")
