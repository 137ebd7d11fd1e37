"""Elements checked against the UpdateConnector's metainfo before sending: what AFAS surely refuses only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from stkkr_tasks.afas import Element
from stkkr_tasks.afas.models import UpdateConnectorMeta
from stkkr_tasks.tasks._precheck import element_problem

META = UpdateConnectorMeta.model_validate(
    {
        "name": "PtProject",
        "fields": [
            {"fieldId": "PrId", "primaryKey": True, "dataType": "string", "length": 15},
            {
                "fieldId": "PrGp",
                "label": "Project group",
                "dataType": "string",
                "length": 15,
                "mandatory": True,
            },
            {"fieldId": "DtGp", "label": "Planned completion date", "dataType": "date"},
            {"fieldId": "Prof", "dataType": "int"},
            {"fieldId": "WaPc", "dataType": "decimal", "decimals": 2},
            {"fieldId": "ChOu", "dataType": "boolean"},
            {
                "fieldId": "ViGe",
                "dataType": "string",
                "values": [{"id": "M"}, {"id": "V", "description": "F"}],
            },
        ],
        "objects": [
            {
                "name": "PtProjectStage",
                "fields": [{"fieldId": "StPr", "dataType": "string", "mandatory": True}],
            }
        ],
    }
)
OWNER = "UpdateConnector 'PtProject'"


def _problem(
    fields: dict[str, Any],
    *,
    insert: bool = False,
    keys: dict[str, Any] | None = None,
    objects: dict[str, list[Element]] | None = None,
) -> str | None:
    element = Element(fields={"PrGp": "G1", **fields}, keys=keys or {"PrId": "P1"}, objects=objects or {})
    return element_problem(element, META, OWNER, insert=insert)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"DtGp": "never"},
            "field 'DtGp' (Planned completion date) of UpdateConnector 'PtProject': must be a date like",
        ),
        ({"Prof": "many"}, "field 'Prof' of UpdateConnector 'PtProject': must be a whole number"),
        ({"Prof": 2.5}, "must be a whole number"),
        ({"WaPc": "12,5"}, "field 'WaPc' of UpdateConnector 'PtProject': must be a number"),
        ({"ChOu": "yes"}, "must be true or false"),
        (
            {"PrGp": "a group name far too long"},
            "field 'PrGp' (Project group) of UpdateConnector 'PtProject': is longer than 15",
        ),
        (
            {"ViGe": "Q"},
            "field 'ViGe' of UpdateConnector 'PtProject': not one of the allowed values: M, V (F)",
        ),
    ],
)
def test_a_value_afas_refuses_is_named_by_its_field_never_its_value(fields: dict, expected: str) -> None:
    problem = _problem(fields)
    assert (
        problem is not None
        and expected in problem
        and problem.endswith("not sent (checked against the metainfo)")
    )
    for value in fields.values():
        assert str(value) not in problem


@pytest.mark.parametrize(
    "fields",
    [
        {"DtGp": date(2024, 5, 1), "Prof": 3, "WaPc": Decimal("12.50"), "ChOu": True, "ViGe": "V"},
        {"DtGp": "2024-05-01T00:00:00", "Prof": "7", "WaPc": "3.14159", "ChOu": "0"},
        {
            "Prof": Decimal("5"),
            "WaPc": 1.005,
            "DtGp": None,
            "ViGe": "",
        },  # a whole number as 5; decimals rounded by AFAS
        {"Unknown": "anything"},  # left to the online validation and to AFAS
    ],
)
def test_values_afas_takes_pass(fields: dict) -> None:
    assert _problem(fields) is None


def test_a_key_is_checked_like_a_field() -> None:
    problem = _problem({}, keys={"@PrId": "P" * 16})
    assert problem is not None and "field 'PrId' of UpdateConnector 'PtProject': is longer than 15" in problem


def test_an_insert_needs_its_mandatory_fields_filled_an_update_does_not() -> None:
    element = Element(fields={"PrGp": "", "DtGp": "2024-05-01"})
    problem = element_problem(element, META, OWNER, insert=True)
    assert problem is not None
    assert "mandatory field 'PrGp' (Project group) of UpdateConnector 'PtProject' is empty" in problem
    assert element_problem(element, META, OWNER, insert=False) is None


def test_sub_objects_are_checked_with_their_own_metainfo() -> None:
    lines = {"PtProjectStage": [Element(fields={"StPr": "A"}), Element(fields={"StPr": None})]}
    problem = _problem({}, insert=True, objects=lines)
    assert problem is not None
    assert "mandatory field 'StPr' of UpdateConnector 'PtProject' object 'PtProjectStage' is empty" in problem
    assert _problem({}, insert=False, objects=lines) is None
    assert _problem({}, insert=True, objects={"Unknown": [Element(fields={"X": None})]}) is None
