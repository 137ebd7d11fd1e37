"""GetConnector reads over loopback: paging, ordering, both filter forms, every operator, limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from stkkr_tasks.simulator import Simulator
from tests.simulator.conftest import assert_afas_error

PROJECTS = "/connectors/Profit_Projects"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """One simulator for this module: its tests only read."""
    simulator = Simulator(rows=200, seed=1)
    with simulator.serve():
        yield simulator


@pytest.fixture(scope="module")
def http(sim: Simulator) -> Iterator[httpx.Client]:
    """A raw HTTP client for the module's simulator."""
    with httpx.Client(base_url=sim.base_url or "", headers={"Authorization": sim.auth_header}) as client:
        yield client


def get_rows(http: httpx.Client, connector: str = PROJECTS, **params: Any) -> list[dict[str, Any]]:
    response = http.get(connector, params=params)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_defaults_are_skip_0_take_100(http: httpx.Client, sim: Simulator) -> None:
    response = http.get(PROJECTS)
    body = response.json()
    assert (body["skip"], body["take"]) == (0, 100)
    assert body["rows"] == sim.rows("Profit_Projects")[:100]


def test_minus_one_returns_every_row(http: httpx.Client) -> None:
    assert len(get_rows(http, skip=-1, take=-1)) == 200


@pytest.mark.parametrize(("skip", "take"), [(2, -1), (-1, 5), (-2, 10), (0, 0), ("x", 5)])
def test_invalid_skip_take_is_an_unexpected_error(http: httpx.Client, skip: Any, take: Any) -> None:
    body = assert_afas_error(http.get(PROJECTS, params={"skip": skip, "take": take}), "unexpected error")
    assert body["externalMessage"] == "An unexpected error has occurred."


def test_rows_have_every_field_in_afas_formats(http: httpx.Client) -> None:
    meta = http.get("/metainfo/get/Profit_Projects").json()
    rows = get_rows(http, take=200)
    assert all(list(row) == [f["id"] for f in meta["fields"]] for row in rows)
    types = {f["id"]: f["dataType"] for f in meta["fields"]}
    for row in rows:
        for name, value in row.items():
            if value is None:
                continue
            if types[name] == "date":
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value)
            elif types[name] == "decimal":
                assert isinstance(value, int | float) and not isinstance(value, bool)
            elif types[name] == "boolean":
                assert isinstance(value, bool)
    assert any(row["Manager"] is None for row in rows), "nulls are sent as JSON null"


def test_paging_in_order_yields_every_row_once(http: httpx.Client, sim: Simulator) -> None:
    seen: list[str] = []
    skip = 0
    while True:
        page = get_rows(http, skip=skip, take=30, orderbyfieldids="ProjectId")
        seen += [r["ProjectId"] for r in page]
        skip += 30
        if len(page) < 30:
            break
    assert seen == sorted(r["ProjectId"] for r in sim.rows("Profit_Projects"))


def test_descending_and_multi_field_order(http: httpx.Client, sim: Simulator) -> None:
    rows = sim.rows("Profit_Projects")
    got = get_rows(http, take=-1, skip=-1, orderbyfieldids="-ProjectId")
    assert [r["ProjectId"] for r in got] == sorted((r["ProjectId"] for r in rows), reverse=True)
    got = get_rows(http, take=-1, skip=-1, orderbyfieldids="Status,-HoursBudget")
    expected = sorted(rows, key=lambda r: -r["HoursBudget"])
    expected.sort(key=lambda r: r["Status"].lower())
    assert [r["ProjectId"] for r in got] == [r["ProjectId"] for r in expected]


def test_simple_filter_comma_is_and(http: httpx.Client, sim: Simulator) -> None:
    got = get_rows(
        http,
        take=-1,
        skip=-1,
        filterfieldids="Blocked,Status",
        filtervalues="false,Lopend",
        operatortypes="1,1",
    )
    expected = [r for r in sim.rows("Profit_Projects") if not r["Blocked"] and r["Status"] == "Lopend"]
    assert got == expected and 0 < len(got) < 200


def test_simple_filter_semicolon_is_or_of_groups(http: httpx.Client, sim: Simulator) -> None:
    got = get_rows(
        http,
        take=-1,
        skip=-1,
        filterfieldids="Blocked,Status;Status",
        filtervalues="true,Lopend;Gereed",
        operatortypes="1,1;1",
    )
    expected = [
        r
        for r in sim.rows("Profit_Projects")
        if (r["Blocked"] and r["Status"] == "Lopend") or r["Status"] == "Gereed"
    ]
    assert got == expected and expected


def test_filterjson_fields_and_filters_or(http: httpx.Client, sim: Simulator) -> None:
    filters = {
        "Filters": {
            "Filter": [
                {
                    "@FilterId": "Filter 1",
                    "Field": [
                        {"@FieldId": "Status", "@OperatorType": "1", "#text": "Lopend"},
                        {"@FieldId": "HoursBudget", "@OperatorType": "2", "#text": "1000"},
                    ],
                },
                {
                    "@FilterId": "Filter 2",
                    "Field": {"@FieldId": "Description", "@OperatorType": 6, "#text": "a,b"},
                },
            ]
        }
    }
    got = get_rows(http, take=-1, skip=-1, filterjson=json.dumps(filters))
    expected = [
        r
        for r in sim.rows("Profit_Projects")
        if (r["Status"] == "Lopend" and r["HoursBudget"] >= 1000) or "a,b" in r["Description"].lower()
    ]
    assert got == expected and expected


def _reference(op: int, value: Any, target: Any) -> bool:
    if op == 8:
        return value in (None, "")
    if op == 9:
        return value not in (None, "")
    if value is None:
        return False
    if isinstance(value, str):
        value, target = value.lower(), str(target).lower()
    return {
        1: value == target,
        2: value >= target,
        3: value <= target,
        4: value > target,
        5: value < target,
        6: str(target) in str(value),
        7: value != target,
        10: str(value).startswith(str(target)),
        11: str(target) not in str(value),
        12: not str(value).startswith(str(target)),
        13: str(value).endswith(str(target)),
        14: not str(value).endswith(str(target)),
    }[op]


CASES = [
    *((op, "Manager", "jansen", "jansen") for op in (1, 2, 3, 4, 5, 7, 6, 10, 11, 12, 13, 14)),
    *((op, "Manager", "", None) for op in (8, 9)),
    *((op, "HoursBudget", "500", 500) for op in (1, 2, 3, 4, 5, 7)),
    *((op, "EndDate", "2026-06-01", "2026-06-01T00:00:00Z") for op in (2, 3, 4, 5)),
    (4, "EndDate", "2026-06-01T12:30", "2026-06-01T12:30:00Z"),
    (1, "Blocked", "1", True),
    (1, "Blocked", "False", False),
    (7, "Blocked", "0", False),
]


@pytest.mark.parametrize(("op", "field", "sent", "target"), CASES)
def test_every_operator_matches_reference(
    http: httpx.Client, sim: Simulator, op: int, field: str, sent: str, target: Any
) -> None:
    rows = sim.rows("Profit_Projects")
    if field == "Manager" and op not in (8, 9):
        sent = target = next(r["Manager"] for r in rows if r["Manager"])[2:5].lower()
    got = get_rows(http, skip=-1, take=-1, filterfieldids=field, filtervalues=sent, operatortypes=op)
    assert got == [r for r in rows if _reference(op, r[field], target)]


@pytest.mark.parametrize(("op", "wild"), [(6, "%{v}%"), (10, "{v}%"), (13, "%{v}"), (11, "%{v}%")])
def test_percent_wildcards_are_tolerated(http: httpx.Client, op: int, wild: str) -> None:
    plain = get_rows(http, skip=-1, take=-1, filterfieldids="Status", filtervalues="e", operatortypes=op)
    wildcard = wild.format(v="e")
    got = get_rows(http, skip=-1, take=-1, filterfieldids="Status", filtervalues=wildcard, operatortypes=op)
    assert got == plain


def test_date_filter_value_with_z_is_refused(http: httpx.Client) -> None:
    params = {"filterfieldids": "EndDate", "filtervalues": "2026-01-01T00:00:00Z", "operatortypes": "2"}
    assert_afas_error(http.get(PROJECTS, params=params), "EndDate")


def test_today_filter_on_dates(http: httpx.Client, sim: Simulator) -> None:
    today = date.today().isoformat()
    got = get_rows(http, skip=-1, take=-1, filterfieldids="EndDate", filtervalues=today, operatortypes=5)
    assert got == [r for r in sim.rows("Profit_Projects") if r["EndDate"] < f"{today}T00:00:00Z"]


@pytest.mark.parametrize(
    "params",
    [
        {"orderbyfieldids": "Nope"},
        {"filterfieldids": "Nope", "filtervalues": "1", "operatortypes": "1"},
    ],
)
def test_unknown_field_is_refused(http: httpx.Client, params: dict[str, str]) -> None:
    assert_afas_error(http.get(PROJECTS, params=params), "Connector field 'Nope' not found")


def test_query_string_over_2049_characters_is_404(http: httpx.Client, sim: Simulator) -> None:
    head = "filterfieldids=Description&operatortypes=6&filtervalues="
    fits = head + "x" * (2049 - len(head))
    assert http.get(f"{PROJECTS}?{fits}").status_code == 200
    assert http.get(f"{PROJECTS}?{fits}x").status_code == 404


def test_unknown_get_connector(http: httpx.Client) -> None:
    assert_afas_error(http.get("/connectors/Profit_Nope"), "GetConnector not supported")


def test_path_prefix_is_case_insensitive(sim: Simulator) -> None:
    assert sim.base_url is not None
    root = sim.base_url.removesuffix("/ProfitRestServices")
    headers = {"Authorization": sim.auth_header}
    assert (
        httpx.get(f"{root}/profitrestservices/connectors/Profit_OrgPer", headers=headers).status_code == 200
    )
    assert httpx.get(f"{root}/OtherServices/connectors/Profit_OrgPer", headers=headers).status_code == 404


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    assert Simulator(rows=50, seed=4).rows("Profit_OrgPer") == Simulator(rows=50, seed=4).rows(
        "Profit_OrgPer"
    )
    assert Simulator(rows=50, seed=4).rows("Profit_OrgPer") != Simulator(rows=50, seed=5).rows(
        "Profit_OrgPer"
    )


@pytest.mark.parametrize("order", ["ProjectId", "Description", "HoursBudget"])
def test_a_by_key_page_holds_the_same_rows_as_a_scan(http: httpx.Client, order: str) -> None:
    every = get_rows(http, skip=-1, take=-1, orderbyfieldids=order)
    for last in {str(every[i][order]) for i in (0, 57, 133)}:
        # The seek condition last in each group (answered by a binary search) or first (by a scan).
        seek = {
            "filterfieldids": f"Blocked,{order};Blocked,{order}",
            "filtervalues": f"false,{last};true,{last}",
            "operatortypes": "1,4;1,4",
        }
        scan = {
            "filterfieldids": f"{order},Blocked;{order},Blocked",
            "filtervalues": f"{last},false;{last},true",
            "operatortypes": "4,1;4,1",
        }
        by_seek = get_rows(http, skip=0, take=500, orderbyfieldids=order, **seek)
        assert by_seek == get_rows(http, skip=0, take=500, orderbyfieldids=order, **scan)
        assert by_seek and len(by_seek) < len(every)
