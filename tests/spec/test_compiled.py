"""A compiled stkkr: where as DNF groups, keep, keys, elements with nested objects, delete keys."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from stkkr_tasks.afas import Element, Filter, Operator
from stkkr_tasks.spec import ExpressionError, compile_spec, load_stkkr_text
from stkkr_tasks.spec.helpers import AMSTERDAM
from stkkr_tasks.spec.sandbox import Row

SPEC = """\
stkkr: close-projects
connection: sim
get:
  connector: Profit_Projects
  where:
    - {field: Blocked, op: "=", value: false}
    - any:
        - {field: EndDate, op: "<", value: "{{ today }}"}
        - [{field: Status, op: "=", value: Gereed}, {field: DateReady, op: not_empty}]
    - any: [{field: ProjectGroup, op: "=", value: CON}, {field: ProjectGroup, op: starts_with, value: IM}]
    - {field: ModifiedDate, op: ">=", value: "{{ add_days(today, -7) }}"}
  order_by: [ProjectId, UnitId]
filter: "row.HoursBooked >= row.HoursBudget and row.Manager"
unique: [ProjectId]
lookups: {group: {CON: Consultancy}}
transform:
  keys: {"@PrId": "{{ row.ProjectId }}"}
  fields:
    PrSt: Afgesloten
    DtGp: "{{ row.EndDate | date }}"
    Ds: "{{ row.ProjectId }} - {{ lookup('group', row.ProjectGroup, 'other') }}"
  objects:
    PtProjectStage:
      - {fields: {PrSt: "1", Ds: "{{ row.Manager | upper }}"}}
      - {fields: {PrSt: "{{ row.Nope }}"}}
    KnBasicAddressAdr: {fields: {CoId: NL}}
update: {connector: PtProject, action: update}
"""
ROW = {
    "ProjectId": "P-1",
    "UnitId": 1,
    "ProjectGroup": "CON",
    "EndDate": datetime(2024, 4, 30, tzinfo=AMSTERDAM),
    "HoursBooked": Decimal("10.5"),
    "HoursBudget": Decimal("10"),
    "Manager": "jan",
}
NOW = datetime(2024, 5, 10, 8, 0, tzinfo=AMSTERDAM)


def test_where_expands_any_groups_and_renders_values() -> None:
    compiled = compile_spec(load_stkkr_text(SPEC))
    groups = compiled.where(NOW)
    blocked = Filter("Blocked", "=", False)
    week_ago = Filter("ModifiedDate", ">=", date(2024, 5, 3))
    ended = Filter("EndDate", "<", date(2024, 5, 10))
    ready = [Filter("Status", "=", "Gereed"), Filter("DateReady", Operator.NOT_EMPTY, "")]
    con, im = Filter("ProjectGroup", "=", "CON"), Filter("ProjectGroup", "starts_with", "IM")
    assert groups == [
        [blocked, ended, con, week_ago],
        [blocked, ended, im, week_ago],
        [blocked, *ready, con, week_ago],
        [blocked, *ready, im, week_ago],
    ]


def test_where_defaults_to_the_amsterdam_date_and_accepts_naive_times() -> None:
    compiled = compile_spec(load_stkkr_text(SPEC))
    assert compiled.where(datetime(2024, 5, 10, 23, 30))[0][3].value == date(2024, 5, 3)
    today = datetime.now(AMSTERDAM).date()
    assert compiled.where()[0][1].value == today


def test_no_where_is_an_empty_list() -> None:
    text = "\n".join(
        line for line in SPEC.splitlines() if not line.startswith(("    -", "        -", "  where"))
    )
    assert compile_spec(load_stkkr_text(text)).where() == []


def test_keep_and_keys() -> None:
    compiled = compile_spec(load_stkkr_text(SPEC))
    assert compiled.keep(ROW) is True
    assert compiled.keep({**ROW, "Manager": None}) is False
    assert compiled.keep({**ROW, "HoursBooked": 1}) is False
    assert compiled.row_key(ROW) == ("P-1", 1)
    assert compiled.unique_key(ROW) == ("P-1",)
    with pytest.raises(ExpressionError, match=r"^get\.order_by: the row has no field .UnitId.$"):
        compiled.row_key({"ProjectId": "P-1"})


def test_element_renders_keys_fields_and_nested_objects() -> None:
    spec = load_stkkr_text(SPEC.replace('{fields: {PrSt: "{{ row.Nope }}"}}', "{fields: {PrSt: '2'}}"))
    element = compile_spec(spec).element(ROW)
    assert element == Element(
        keys={"@PrId": "P-1"},
        fields={"PrSt": "Afgesloten", "DtGp": date(2024, 4, 30), "Ds": "P-1 - Consultancy"},
        objects={
            "PtProjectStage": [Element(fields={"PrSt": "1", "Ds": "JAN"}), Element(fields={"PrSt": "2"})],
            "KnBasicAddressAdr": [Element(fields={"CoId": "NL"})],
        },
    )
    assert element.to_body("PtProject")["PtProject"]["Element"]["@PrId"] == "P-1"


def test_element_errors_name_the_nested_place() -> None:
    compiled = compile_spec(load_stkkr_text(SPEC))
    with pytest.raises(ExpressionError) as caught:
        compiled.element(ROW)
    assert str(caught.value) == "transform.objects.PtProjectStage[1].fields.PrSt: the row has no field 'Nope'"


def test_without_filter_or_unique() -> None:
    text = SPEC.replace('filter: "row.HoursBooked >= row.HoursBudget and row.Manager"\n', "").replace(
        "unique: [ProjectId]\n", ""
    )
    compiled = compile_spec(load_stkkr_text(text))
    assert compiled.keep({}) is True
    assert compiled.unique_key(ROW) is None


def test_delete_keys_drop_the_at_sign() -> None:
    spec = load_stkkr_text(
        "stkkr: remove\nconnection: sim\nget: {connector: Profit_Projects, order_by: [ProjectId]}\n"
        "transform:\n  keys: {'@PrId': '{{ row.ProjectId }}', PrSt: '{{ row.UnitId }}'}\n"
        "update: {connector: PtProject, action: delete, object: PtProjectStage}\nconfirm_all: true\n"
    )
    assert compile_spec(spec).delete_keys(ROW) == {"PrId": "P-1", "PrSt": 1}


def test_rows_evaluated_in_several_threads_stay_apart() -> None:
    from concurrent.futures import ThreadPoolExecutor

    spec = load_stkkr_text(SPEC.replace('{fields: {PrSt: "{{ row.Nope }}"}}', "{fields: {PrSt: '2'}}"))
    compiled = compile_spec(spec)
    rows = [{**ROW, "ProjectId": f"P-{number}"} for number in range(2_000)]
    with ThreadPoolExecutor(4) as pool:
        keys = list(pool.map(lambda row: compiled.element(row).keys["@PrId"], rows))
    assert keys == [row["ProjectId"] for row in rows]


JOIN = """\
stkkr: join
connection: sim
get: {connector: Profit_Projects, order_by: [ProjectId]}
lookups:
  group: {CON: Consultancy}
  org:
    connector: Profit_OrgPer
    key: BcCo
    where: [{any: [{field: Type, op: "=", value: O}, {field: ModifiedDate, op: ">=", value: "{{ today }}"}]}]
  mail: {connector: Profit_OrgPer, key: BcCo, value: MailWork}
transform:
  keys: {"@PrId": "{{ row.ProjectId }}"}
  fields:
    Ds: "{{ lookup('org', row.BcCo).Name }} {{ lookup('group', row.ProjectGroup) }}"
    ClRe: "{{ lookup('mail', row.BcCo, 'none') }}"
update: {connector: PtProject, action: update}
"""


def test_get_connector_lookups_are_filled_per_run_and_answer_whole_rows() -> None:
    compiled = compile_spec(load_stkkr_text(JOIN))
    row = {"ProjectId": "P-1", "ProjectGroup": "CON", "BcCo": "7"}

    assert set(compiled.get_lookups) == {"org", "mail"}
    assert compiled.lookup_where("org", NOW) == [
        [Filter("Type", "=", "O")],
        [Filter("ModifiedDate", ">=", date(2024, 5, 10))],
    ]
    assert compiled.lookup_where("mail", NOW) == []
    with pytest.raises(ExpressionError, match="'org' is read from its GetConnector only when the stkkr runs"):
        compiled.element(row)

    run = compiled.with_lookups({"org": {"7": Row({"Name": "Acme"})}, "mail": {}})

    assert run.element(row).fields == {"Ds": "Acme Consultancy", "ClRe": "none"}
    with pytest.raises(ExpressionError):
        compiled.element(row)  # the tables belong to the run's copy only
