"""AFAS metainfo answers from the catalogue: ``/metainfo``, ``/metainfo/get/{id}``, ``.../update/{id}``."""

from __future__ import annotations

from typing import Any

from stkkr_tasks.simulator.catalogue import (
    Catalogue,
    GetConnectorDef,
    GetFieldDef,
    UpdateFieldDef,
    UpdateObjectDef,
)

_CONTROL_TYPES = {"string": 1, "blob": 23, "date": 4, "int": 5, "decimal": 5, "boolean": 3}


def connector_list(catalogue: Catalogue, environment: str) -> dict[str, Any]:
    """The ``/metainfo`` answer: the connectors the token may use."""
    return {
        "updateConnectors": [
            {"id": k, "description": v.description} for k, v in catalogue.update_connectors.items()
        ],
        "getConnectors": [
            {"id": k, "description": v.description} for k, v in catalogue.get_connectors.items()
        ],
        "info": {
            "envid": environment,
            "appName": "stkkr simulator",
            "group": "AuthorizationGroup 1 (SIMULATOR)",
            "tokenExpiry": "0",
        },
    }


def _get_field(field: GetFieldDef, position: int) -> dict[str, Any]:
    return {
        "id": field.id,
        "fieldId": field.field_id or f"U{position:03d}",
        "dataType": field.type,
        "label": field.label or field.id,
        "length": field.length,
        "controlType": field.control_type or _CONTROL_TYPES[field.type],
        "decimals": field.decimals,
        "decimalsFieldId": "",
    }


def get_meta(connector_id: str, connector: GetConnectorDef) -> dict[str, Any]:
    """The ``/metainfo/get/{id}`` answer."""
    return {
        "name": connector_id,
        "description": connector.description,
        "fields": [_get_field(f, n) for n, f in enumerate(connector.fields, 1)],
    }


def _update_field(field: UpdateFieldDef) -> dict[str, Any]:
    return {
        "fieldId": field.field_id,
        "primaryKey": field.primary_key,
        "dataType": field.type,
        "label": field.label or field.field_id,
        "mandatory": field.mandatory,
        "length": field.length,
        "decimals": field.decimals,
        "decimalFieldId": "",
        "notzero": False,
        "controlType": field.control_type or _CONTROL_TYPES[field.type],
        "values": None
        if field.values is None
        else [{"id": v.id, "description": v.description} for v in field.values],
    }


def _object(obj: UpdateObjectDef) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": obj.name,
        "fields": [_update_field(f) for f in obj.fields],
        "objects": [_object(o) for o in obj.objects],
    }
    if obj.multiple is not None:
        answer["multiple"] = obj.multiple
    return answer


def update_meta(connector_id: str, root: UpdateObjectDef, description: str) -> dict[str, Any]:
    """The ``/metainfo/update/{id}`` answer: root fields and nested objects, named after the root object."""
    return {"id": connector_id, "description": description} | _object(root)
