"""The published JSON Schema: valid draft 2020-12, described everywhere, agreeing with the loader."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from stkkr_tasks.spec import json_schema
from tests.spec.configurations import INVALID, VALID


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = list(schema.get("properties", {}).items())
    for definition in schema.get("$defs", {}).values():
        found += [(name, prop) for name, prop in definition.get("properties", {}).items()]
    return found


def test_the_schema_is_valid_and_forbids_unknown_keys() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert all(
        d.get("additionalProperties") is False for d in schema["$defs"].values() if d.get("type") == "object"
    )


def test_every_field_has_a_description() -> None:
    missing = [name for name, prop in _properties(json_schema()) if not prop.get("description")]
    assert missing == []


def test_operators_come_from_the_afas_table() -> None:
    from stkkr_tasks.afas import Operator

    op = json_schema()["$defs"]["Condition"]["properties"]["op"]
    assert op["enum"] == [operator.symbol for operator in Operator]


# The loader also accepts AFAS's operator symbols (`*`, `[]`, ...); the schema offers the stkkr names.
SCHEMA_VALID = [(name, config) for name, config in VALID if name != "op-symbols"]


@pytest.mark.parametrize(
    "config", [config for _, config in SCHEMA_VALID], ids=[name for name, _ in SCHEMA_VALID]
)
def test_valid_files_pass_the_schema(config: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(json_schema()).validate(_jsonable(config))


@pytest.mark.parametrize(
    "name",
    [
        "typo-key",
        "typo-nested",
        "missing-order-by",
        "bad-action",
        "page-size-0",
        "bad-on-error",
        "get-lookup-incomplete",
        "no-source",
        "get-and-input",
        "input-without-key",
        "input-column-type",
        "bad-update-connection",
        "respond-incomplete",
    ],
)
def test_structural_mistakes_fail_the_schema_too(name: str) -> None:
    config = next(config for case, config, _ in INVALID if case == name)
    assert not jsonschema.Draft202012Validator(json_schema()).is_valid(_jsonable(config))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value
