"""The JSON Schema of the stkkr file format, for editors (e.g. the YAML language server's `$schema`)."""

from __future__ import annotations

import json
from typing import Any

from stkkr_tasks.spec.model import StkkrSpec

__all__ = ["SCHEMA_ID", "json_schema", "json_schema_text"]

SCHEMA_ID = "https://stkkr.dev/schema/stkkr-file.json"


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a stkkr file; every field carries a description."""
    schema = StkkrSpec.model_json_schema()
    one_source = {"oneOf": [{"required": ["get"]}, {"required": ["input"]}]}  # a stkkr reads one of the two
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        **one_source,
    }


def json_schema_text() -> str:
    """Return the JSON Schema as indented JSON text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
