"""Build a simulator catalogue from a real environment's metainfo (never its data).

`catalogue_from_metainfo_json` is a pure function over the raw JSON answers of ``/metainfo/get/{id}`` and
``/metainfo/update/{id}``; `catalogue_from_metainfo` asks an `AfasClient` for them. The resulting catalogue
has ``include_builtin: false``; its GetConnectors get generated rows shaped by their field types and labels,
and its UpdateConnectors validate writes exactly like their metainfo says. Add a ``target`` to an
UpdateConnector in the saved file to make its writes change a GetConnector's rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from stkkr_tasks.simulator.catalogue import Catalogue

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient

_TYPES = {"string", "int", "decimal", "boolean", "date", "blob"}


def _type(raw: Any) -> str:
    text = str(raw or "string").lower()
    return text if text in _TYPES else "string"


def _int(raw: Any) -> int:
    try:
        return max(0, int(raw or 0))
    except (TypeError, ValueError):
        return 0


def _get_connector(raw: Mapping[str, Any]) -> dict[str, Any]:
    fields = [
        {
            "id": str(f["id"]),
            "field_id": str(f.get("fieldId") or ""),
            "label": str(f.get("label") or ""),
            "type": _type(f.get("dataType")),
            "length": _int(f.get("length")),
            "decimals": _int(f.get("decimals")),
            "control_type": f.get("controlType"),
        }
        for f in raw.get("fields") or []
    ]
    return {"description": str(raw.get("description") or ""), "fields": fields}


def _update_field(raw: Mapping[str, Any]) -> dict[str, Any]:
    values = raw.get("values")
    return {
        "field_id": str(raw["fieldId"]),
        "label": str(raw.get("label") or ""),
        "type": _type(raw.get("dataType")),
        "length": _int(raw.get("length")),
        "decimals": _int(raw.get("decimals")),
        "mandatory": bool(raw.get("mandatory")),
        "primary_key": bool(raw.get("primaryKey")),
        "control_type": raw.get("controlType"),
        "values": None
        if values is None
        else [{"id": str(v.get("id")), "description": str(v.get("description") or "")} for v in values],
    }


def _update_object(raw: Mapping[str, Any]) -> dict[str, Any]:
    answer = {
        "name": str(raw.get("name") or ""),
        "fields": [_update_field(f) for f in raw.get("fields") or []],
        "objects": [_update_object(o) for o in raw.get("objects") or []],
    }
    if isinstance(raw.get("multiple"), bool):
        answer["multiple"] = raw["multiple"]
    return answer


def catalogue_from_metainfo_json(
    get_meta: Mapping[str, Mapping[str, Any]], update_meta: Mapping[str, Mapping[str, Any]]
) -> Catalogue:
    """A catalogue from raw metainfo answers.

    Args:
        get_meta: ``{GetConnector id: JSON of /metainfo/get/{id}}``.
        update_meta: ``{UpdateConnector id: JSON of /metainfo/update/{id}}``.

    Raises:
        CatalogueError: the answers do not describe valid connectors (e.g. a GetConnector without fields).
        KeyError: a field lacks its ``id`` / ``fieldId``.
    """
    updates = {}
    for connector_id, raw in update_meta.items():
        root = _update_object(raw)
        updates[connector_id] = {
            "description": str(raw.get("description") or ""),
            "object_name": root["name"] if root["name"] != connector_id else "",
            "fields": root["fields"],
            "objects": root["objects"],
        }
    data = {
        "format": 1,
        "include_builtin": False,
        "get_connectors": {cid: _get_connector(raw) for cid, raw in get_meta.items()},
        "update_connectors": updates,
    }
    return Catalogue.from_dict(data, source="metainfo")


def _plain(value: Any) -> Any:
    """The AFAS client's metainfo models (stkkr_tasks.afas.models) as the raw JSON shape (camelCase keys)."""
    names = {
        "field_id": "fieldId",
        "data_type": "dataType",
        "control_type": "controlType",
        "primary_key": "primaryKey",
    }
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {names.get(k, k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        attrs = [f.name for f in dataclasses.fields(value)]
    elif hasattr(type(value), "model_fields"):
        attrs = list(type(value).model_fields)
    else:
        return value
    return {names.get(k, k): _plain(getattr(value, k)) for k in attrs}


async def catalogue_from_metainfo(
    client: AfasClient,
    get_connectors: Iterable[str] | None = None,
    update_connectors: Iterable[str] | None = None,
) -> Catalogue:
    """Read a real environment's metainfo through `client` and build a catalogue (no row is ever read).

    Args:
        client: an open `AfasClient`.
        get_connectors: GetConnector ids to capture; None for every one the token may use.
        update_connectors: UpdateConnector ids to capture; None for every one the token may use.
    """
    if get_connectors is None or update_connectors is None:
        listing = await client.list_connectors()
        if get_connectors is None:
            get_connectors = [c.id for c in listing.get_connectors]
        if update_connectors is None:
            update_connectors = [c.id for c in listing.update_connectors]
    get_meta = {}
    for connector_id in get_connectors:
        meta = await client.get_connector_meta(connector_id)
        get_meta[connector_id] = {"description": meta.description, "fields": _plain(list(meta.fields))}
    update_meta = {}
    for connector_id in update_connectors:
        update = await client.update_connector_meta(connector_id)
        update_meta[connector_id] = {
            "description": update.description,
            "fields": _plain(list(update.fields)),
            "objects": _plain(list(update.objects)),
        }
    return catalogue_from_metainfo_json(get_meta, update_meta)
