"""Query building: operators, simple form vs filterjson, OR groups, dates, the 2049 limit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs

import pytest

from stkkr_tasks.afas import AfasQueryTooLongError, Filter, Operator
from stkkr_tasks.afas.filters import MAX_QUERY_LENGTH, and_where, build_query

NAMES = [
    "=", ">=", "<=", ">", "<", "contains", "!=", "empty", "not_empty",
    "starts_with", "not_contains", "not_starts_with", "ends_with", "not_ends_with",
]  # fmt: skip
AFAS_SYMBOLS = ["=", ">=", "<=", ">", "<", "*", "!=", "[]", "![]", "@", "!*", "!@", "&", "!&"]


@pytest.mark.parametrize(
    ("code", "name", "symbol"), list(zip(range(1, 15), NAMES, AFAS_SYMBOLS, strict=True))
)
def test_operator_parses_name_symbol_and_code(code: int, name: str, symbol: str) -> None:
    assert Operator.parse(name) == code
    assert Operator.parse(symbol) == code
    assert Operator.parse(code) == code
    assert Operator.parse(str(code)) == code
    assert Operator.parse(Operator(code).name.lower()) == code
    assert Operator(code).symbol == name


@pytest.mark.parametrize("bad", ["==", "like", 15, 0, "", True])
def test_unknown_operator_lists_valid_names(bad: object) -> None:
    with pytest.raises(ValueError, match="valid operators: = >= <= > < contains") as info:
        Operator.parse(bad)  # type: ignore[arg-type]
    assert "not_ends_with" in str(info.value)


def test_filter_normalises_operator_and_refuses_blank_field() -> None:
    assert Filter("A", ">=", 1).op is Operator.GREATER_OR_EQUAL
    assert Filter("A", "contains").value == ""
    with pytest.raises(ValueError, match="field id"):
        Filter(" ", "=", 1)
    with pytest.raises(ValueError, match="unknown filter operator"):
        Filter("A", "~", 1)


def _params(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query, keep_blank_values=True).items()}


def test_no_filter_gives_paging_and_order_only() -> None:
    assert build_query(skip=0, take=500, order_by=["ProjectId", "-EndDate"]) == (
        "skip=0&take=500&orderbyfieldids=ProjectId,-EndDate"
    )


def test_single_and_group_uses_simple_form() -> None:
    query = build_query(
        skip=10,
        take=5,
        order_by=["Id"],
        where=[[Filter("Blocked", "=", False), Filter("Name", "contains", "x y")]],
    )
    assert "filterjson" not in query
    assert "filterfieldids=Blocked,Name&filtervalues=false,x%20y&operatortypes=1,6" in query


@pytest.mark.parametrize("value", ["Jansen, Piet", "a;b"])
def test_value_with_separator_switches_to_filterjson(value: str) -> None:
    query = build_query(skip=0, take=10, order_by=["Id"], where=[[Filter("Name", "=", value)]])
    assert "filterfieldids" not in query
    document = json.loads(_params(query)["filterjson"])
    assert document == {
        "Filters": {
            "Filter": [
                {
                    "@FilterId": "Filter 1",
                    "Field": [{"@FieldId": "Name", "@OperatorType": "1", "#text": value}],
                }
            ]
        }
    }


def test_or_groups_use_filterjson_with_one_filter_per_group() -> None:
    where = [[Filter("A", "=", 1), Filter("B", ">", 2)], [Filter("C", "empty")]]
    document = json.loads(_params(build_query(skip=0, take=10, order_by=["Id"], where=where))["filterjson"])
    filters = document["Filters"]["Filter"]
    assert [f["@FilterId"] for f in filters] == ["Filter 1", "Filter 2"]
    assert [[field["@FieldId"] for field in f["Field"]] for f in filters] == [["A", "B"], ["C"]]
    assert filters[0]["Field"][1] == {"@FieldId": "B", "@OperatorType": "4", "#text": "2"}
    assert filters[1]["Field"][0] == {"@FieldId": "C", "@OperatorType": "8", "#text": ""}


def test_date_values_have_no_z_and_are_amsterdam_time() -> None:
    where = [
        [
            Filter("D", ">=", date(2024, 5, 1)),
            Filter("T", "<", datetime(2024, 5, 1, 12, 0, tzinfo=UTC)),
            Filter("N", "<", datetime(2024, 1, 2, 3, 4, 5)),
        ]
    ]
    values = _params(build_query(skip=0, take=1, order_by=["Id"], where=where))["filtervalues"]
    assert values == "2024-05-01,2024-05-01T14:00:00,2024-01-02T03:04:05"
    assert "Z" not in values


def test_query_over_limit_is_refused_with_its_length() -> None:
    long_value = "x" * 1990
    build_query(skip=0, take=1, order_by=["Id"], where=[[Filter("Name", "=", "x" * 1950)]])
    with pytest.raises(AfasQueryTooLongError) as info:
        build_query(skip=0, take=1, order_by=["Id"], where=[[Filter("Name", "=", long_value)]])
    assert info.value.length > MAX_QUERY_LENGTH
    assert isinstance(info.value, ValueError)
    assert long_value not in str(info.value)
    assert "2049" in str(info.value)


def test_query_of_exactly_the_limit_is_accepted() -> None:
    base = len(build_query(skip=0, take=1, order_by=["Id"], where=[[Filter("N", "=", "")]]))
    query = build_query(
        skip=0, take=1, order_by=["Id"], where=[[Filter("N", "=", "v" * (MAX_QUERY_LENGTH - base))]]
    )
    assert len(query) == MAX_QUERY_LENGTH


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"skip": -1, "take": 1, "order_by": ["Id"]}, "skip"),
        ({"skip": 0, "take": 0, "order_by": ["Id"]}, "take"),
        ({"skip": 0, "take": 1, "order_by": []}, "order_by"),
        ({"skip": 0, "take": 1, "order_by": "Id"}, "order_by"),
        ({"skip": 0, "take": 1, "order_by": ["Id"], "where": [[Filter("A", "=", 1)], []]}, "where group"),
    ],
)
def test_invalid_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_query(**kwargs)


def test_and_where_joins_every_group_with_every_group() -> None:
    a, b, c, d = (Filter(name, "=", 1) for name in "abcd")

    assert and_where([[a], [b]], [[c], [d]]) == [[a, c], [a, d], [b, c], [b, d]]
    assert and_where([[a, b]], [[c]]) == [[a, b, c]]
    assert and_where(None, [[c]]) == [[c]]
    assert and_where([[a]], None) == [[a]]
    assert and_where([], []) == []
