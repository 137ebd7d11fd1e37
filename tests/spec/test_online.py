"""validate_online against the simulator's metainfo over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from stkkr_tasks.afas import AfasClient
from stkkr_tasks.spec import Problem, load_stkkr_text, validate_online

GOOD = """\
stkkr: close-projects
connection: sim
get:
  connector: Profit_Projects
  where:
    - {field: Blocked, op: "=", value: false}
    - any: [{field: EndDate, op: "<", value: "{{ today }}"}, {field: DateReady, op: not_empty}]
  order_by: [ProjectId]
filter: "row.HoursBooked >= row.HoursBudget and row.Manager"
unique: [ProjectId]
transform:
  keys: {"@PrId": "{{ row.ProjectId }}"}
  fields:
    PrSt: Afgesloten
    DtGp: "{{ row.EndDate | date }}"
  objects:
    PtProjectStage: [{fields: {PrSt: "1", Ds: "{{ row.Description }}"}}]
update: {connector: PtProject, action: update}
"""

BAD = """\
stkkr: close-projects
connection: sim
get:
  connector: Profit_Projects
  where:
    - {field: Blokked, op: "=", value: false}
    - {field: Blocked, op: "=", value: maybe}
    - {field: UnitId, op: "=", value: one}
  order_by: [ProjectIdd]
filter: "row.HoursBookd > 1"
unique: [ProjectId]
transform:
  fields:
    PrSx: x
    Ds: "{{ 'x' * 3 }}{{ row.Descripton }}"
    PrSt: "This status is far longer than fifteen characters"
    DtGp: "not a date"
    Freq: 1.5
  objects:
    PtProjectStag: {fields: {PrSt: "1"}}
    PtProjectStage: [{fields: {Dx: "1"}}]
update: {connector: PtProject, action: insert}
"""


async def _validate(simulator: Any, text: str) -> list[Problem]:
    async with AfasClient(simulator.token, base_url=simulator.base_url) as client:
        return await validate_online(load_stkkr_text(text, source="s.yaml"), client)


@pytest.mark.anyio
async def test_a_fitting_spec_has_no_problems(simulator: Any) -> None:
    assert await _validate(simulator, GOOD) == []


@pytest.mark.anyio
async def test_unknown_connectors_are_named_with_a_suggestion(simulator: Any) -> None:
    text = GOOD.replace("connector: Profit_Projects", "connector: Profit_Project").replace(
        "PtProject,", "PtProjekt,"
    )
    problems = await _validate(simulator, text)
    assert [str(problem) for problem in problems] == [
        "s.yaml:4: get.connector: GetConnector 'Profit_Project' does not exist"
        " (did you mean 'Profit_Projects'?)",
        "s.yaml:18: update.connector: UpdateConnector 'PtProjekt' does not exist (did you mean 'PtProject'?)",
    ]


@pytest.mark.anyio
async def test_fields_types_lengths_and_mandatory_fields(simulator: Any) -> None:
    problems = await _validate(simulator, BAD)
    found = {(problem.line, problem.path): problem.message for problem in problems}
    expected = {
        (
            6,
            "get.where[0].field",
        ): "GetConnector 'Profit_Projects' has no field 'Blokked' (did you mean 'Blocked'?)",
        (
            7,
            "get.where[1].value",
        ): "must be true or false (field 'Blocked' of GetConnector 'Profit_Projects')",
        (8, "get.where[2].value"): "must be a whole number",
        (9, "get.order_by[0]"): "has no field 'ProjectIdd' (did you mean 'ProjectId'?)",
        (10, "filter"): "row.HoursBookd is not a field of GetConnector 'Profit_Projects' (did you mean",
        (
            14,
            "transform.fields.PrSx",
        ): "UpdateConnector 'PtProject' has no field 'PrSx' (did you mean 'PrSt'?)",
        (15, "transform.fields.Ds"): "row.Descripton is not a field of GetConnector",
        (16, "transform.fields.PrSt"): "is longer than 15 characters",
        (17, "transform.fields.DtGp"): "must be a date like 2024-05-01",
        (18, "transform.fields.Freq"): "must be a whole number",
        (
            20,
            "transform.objects.PtProjectStag",
        ): "has no sub-object 'PtProjectStag' (did you mean 'PtProjectStage'?)",
        (21, "transform.objects.PtProjectStage[0].fields.Dx"): "object 'PtProjectStage' has no field 'Dx'",
        (
            13,
            "transform.fields",
        ): "mandatory field 'PrGp' (Project group) of UpdateConnector 'PtProject' is not filled",
    }
    for place, message in expected.items():
        assert place in found and message in found[place], (place, found.get(place))
    nested_mandatory = found.get((21, "transform.objects.PtProjectStage[0].fields"), "")
    assert "mandatory field 'PrSt'" in nested_mandatory
    assert [problem.line for problem in problems] == sorted(problem.line or 0 for problem in problems)


@pytest.mark.anyio
async def test_allowed_values_are_listed(simulator: Any) -> None:
    text = """\
stkkr: add-person
connection: sim
get: {connector: Profit_Contacts, order_by: [ContactId]}
transform:
  fields: {MatchPer: "7", LaNm: "{{ row.Name }}", ViGe: Q}
update: {connector: KnPerson, action: insert}
"""
    problems = await _validate(simulator, text)
    assert len(problems) == 1
    assert problems[0].path == "transform.fields.ViGe"
    assert (
        "not one of the allowed values: M (Man), O (Onbekend), V (Vrouw), X (Non-binair)"
        in problems[0].message
    )


@pytest.mark.anyio
async def test_delete_of_a_sub_object_checks_that_object(simulator: Any) -> None:
    text = """\
stkkr: drop-stage
connection: sim
get: {connector: Profit_Projects, order_by: [ProjectId]}
transform:
  keys: {"@PrId": "{{ row.ProjectId }}", "@PrSx": "1"}
update: {connector: PtProject, action: delete, object: PtProjectStage}
confirm_all: true
"""
    problems = await _validate(simulator, text)
    assert [(p.path, "has no field 'PrSx'" in p.message) for p in problems] == [
        ("transform.keys.@PrSx", True)
    ]
    missing = await _validate(simulator, text.replace("object: PtProjectStage", "object: Stage"))
    assert [p.path for p in missing] == ["update.object"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("action", "mandatory_checked"),
    [
        ("{{ 'update' if row.Blocked else 'delete' }}", False),  # no insert among its answers
        ("{{ 'insert' if row.Blocked else 'update' }}", True),
        ("{{ row.Status }}", True),  # cannot tell: every action is possible
    ],
)
async def test_an_action_expression_is_checked_for_every_action_it_can_give(
    simulator: Any, action: str, mandatory_checked: bool
) -> None:
    text = GOOD.replace("action: update}", f'action: "{action}"}}')

    problems = await _validate(simulator, text)

    assert any("mandatory field 'PrGp'" in p.message for p in problems) is mandatory_checked


GROUPED = """\
stkkr: entries
connection: sim
get: {connector: Bank_Statement_Lines, order_by: [StatementId, LineId]}
group_by: [StatementId]
transform:
  fields: {Year: 2026, Peri: 1, JoCo: "50"}
  objects:
    FiEntries:
      - {each: rows, fields: {VaAs: "2", AcNr: "{{ line.DebtorId }}", EnDa: "{{ line.BookDate }}",
         BpDa: "{{ line.BookDate }}", AmCr: "{{ line.Amount }}", Ds: "{{ line.Descripton }}"}}
update: {connector: FiEntries, action: insert}
"""


@pytest.mark.anyio
async def test_a_grouped_spec_checks_line_fields_and_sub_objects_of_one_line(simulator: Any) -> None:
    problems = await _validate(simulator, GROUPED)
    assert [(p.path, p.message) for p in problems] == [
        (
            "transform.objects.FiEntries[0].fields.Ds",
            "row.Descripton is not a field of GetConnector 'Bank_Statement_Lines'"
            " (did you mean 'Description'?)",
        )
    ]

    one_line = GROUPED.replace("FiEntries, action: insert", "KnOrganisation, action: update").replace(
        "FiEntries:", "KnBasicAddressAdr:"
    )
    problems = await _validate(simulator, one_line.replace("line.Descripton", "line.Description"))
    paths = [p.path for p in problems if "takes one line only" in p.message]
    assert paths == ["transform.objects.KnBasicAddressAdr"]


@pytest.mark.anyio
async def test_lookup_table_values_are_checked_against_the_field_they_fill(simulator: Any) -> None:
    text = """\
stkkr: preferred-medium
connection: sim
get: {connector: Profit_OrgPer, order_by: [BcCo]}
lookups:
  medium:
    Actief: EMA
    Inactief: POST
transform:
  keys: {"@BcCo": "{{ row.BcCo }}"}
  fields: {ViMd: "{{ lookup('medium', row.Status, 'EMA') }}"}
update: {connector: KnOrganisation, action: update}
"""
    problems = await _validate(simulator, text)

    assert [(p.path, p.line) for p in problems] == [("lookups.medium.Inactief", 7)]
    assert "not one of the allowed values" in problems[0].message and "ViMd" in problems[0].message


LOOKUPS = GOOD.replace(
    "transform:\n",
    """lookups:
  customer:
    connector: Profit_OrgPer
    key: BcCo
    value: Name
    where: [{field: Type, op: "=", value: O}]
transform:
""",
)


@pytest.mark.anyio
async def test_a_get_connector_lookup_that_fits_has_no_problems(simulator: Any) -> None:
    assert await _validate(simulator, LOOKUPS) == []


@pytest.mark.anyio
async def test_a_get_connector_lookup_names_its_unknown_connector(simulator: Any) -> None:
    problems = await _validate(
        simulator, LOOKUPS.replace("connector: Profit_OrgPer", "connector: Profit_OrgPr")
    )
    assert [str(problem) for problem in problems] == [
        "s.yaml:13: lookups.customer.connector: GetConnector 'Profit_OrgPr' does not exist"
        " (did you mean 'Profit_OrgPer'?)"
    ]


@pytest.mark.anyio
async def test_a_get_connector_lookup_names_its_unknown_fields(simulator: Any) -> None:
    text = (
        LOOKUPS.replace("key: BcCo", "key: BcCoo")
        .replace("value: Name", "value: Nam")
        .replace("field: Type", "field: Typ")
    )
    problems = await _validate(simulator, text)
    owner = "GetConnector 'Profit_OrgPer'"
    assert [str(problem) for problem in problems] == [
        f"s.yaml:14: lookups.customer.key: {owner} has no field 'BcCoo' (did you mean 'BcCo'?)",
        f"s.yaml:15: lookups.customer.value: {owner} has no field 'Nam' (did you mean 'Name'?)",
        f"s.yaml:16: lookups.customer.where[0].field: {owner} has no field 'Typ' (did you mean 'Type'?)",
    ]


RESPONDS = """\
stkkr: note-contacts
connection: sim
get: {connector: Profit_OrgPer, order_by: [BcCo]}
transform:
  fields: {BcCoOga: "{{ row.BcCo }}", ViKc: AFD}
update: {connector: KnContact, action: insert}
respond:
  transform:
    keys: {"@BcCo": "{{ row.BcCoo }}"}
    fields: {Ree: "Contact {{ response.CdId }}", ViMd: WHATSAPP}
  update: {connector: KnOrganisatie, action: update}
"""


@pytest.mark.anyio
async def test_respond_is_checked_like_the_update(simulator: Any) -> None:
    wrong = [str(problem) for problem in await _validate(simulator, RESPONDS)]
    right = RESPONDS.replace("KnOrganisatie", "KnOrganisation")
    fields = [str(problem) for problem in await _validate(simulator, right)]

    assert wrong == [
        "s.yaml:9: respond.transform.keys.@BcCo: row.BcCoo is not a field of GetConnector 'Profit_OrgPer'"
        " (did you mean 'BcCo'?)",
        "s.yaml:11: respond.update.connector: UpdateConnector 'KnOrganisatie' does not exist"
        " (did you mean 'KnOrganisation'?)",
    ]
    assert any(
        "respond.transform.fields.Ree: UpdateConnector 'KnOrganisation' has no field 'Ree'" in p
        for p in fields
    )
    assert any("respond.transform.fields.ViMd: not one of the allowed values" in p for p in fields)
