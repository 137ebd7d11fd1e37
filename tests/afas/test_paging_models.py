"""The pager's stop, seek and de-duplication rules, and metainfo models over AFAS's key variants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from stkkr_tasks.afas import (
    AfasPagingError,
    AfasQueryTooLongError,
    ConnectorList,
    Filter,
    GetConnectorMeta,
    Operator,
    Pager,
    UpdateConnectorMeta,
)


def _collated(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_TESTS = {
    Operator.EQUAL: lambda a, b: a == b,
    Operator.GREATER: lambda a, b: a > b,
    Operator.LESS: lambda a, b: a < b,
    Operator.GREATER_OR_EQUAL: lambda a, b: a >= b,
    Operator.LESS_OR_EQUAL: lambda a, b: a <= b,
}


class Table:
    """Rows served as a GetConnector serves them: in the given order, `after` filters compared as AFAS's
    case-insensitive collation does, then skip/take. Rows can be added or removed between pages."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls: list[tuple[int, int, Any]] = []
        self.before_fetch: list[list[dict[str, Any]]] = []
        self.after_fetch: Callable[[list[dict[str, Any]]], None] | None = None

    def remove(self, rows: list[dict[str, Any]]) -> None:
        """Take rows out of the table (as a write that changes a field the `where` selects on)."""
        for row in rows:
            self.rows.remove(row)

    async def fetch(self, skip: int, take: int, after: Any) -> list[dict[str, Any]]:
        self.calls.append((skip, take, after))
        if self.before_fetch:
            self.rows[0:0] = self.before_fetch.pop(0)
        matching = [row for row in self.rows if after is None or any(self._matches(row, g) for g in after)]
        page = matching[skip : skip + take]
        if self.after_fetch:
            self.after_fetch(page)
        return page

    @staticmethod
    def _matches(row: dict[str, Any], group: list[Filter]) -> bool:
        return all(_TESTS[f.operator](_collated(row[f.field]), _collated(f.value)) for f in group)


async def _drain(pager: Pager) -> list[list[dict[str, Any]]]:
    pages = []
    while (page := await pager.next_page()) is not None:
        pages.append(page)
    return pages


@pytest.mark.anyio
async def test_stops_on_short_page() -> None:
    table = Table([{"Id": i} for i in range(7)])
    pager = Pager(table.fetch, order_by=["Id"], page_size=3)
    assert pager.position is None
    pages = await _drain(pager)
    assert pager.position == {"Id": 6}
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [(skip, take) for skip, take, _ in table.calls] == [(0, 3), (0, 4), (0, 4)]  # + the last row
    assert (pager.pages_read, pager.rows_read) == (3, 7)
    assert await pager.next_page() is None
    assert len(table.calls) == 3


@pytest.mark.anyio
async def test_full_last_page_costs_one_empty_request() -> None:
    table = Table([{"Id": i} for i in range(6)])
    pages = await _drain(Pager(table.fetch, order_by=["Id"], page_size=3))
    assert [len(p) for p in pages] == [3, 3]
    assert table.calls[-1][2] == [[Filter("Id", ">=", 5)]]


@pytest.mark.anyio
async def test_pages_after_the_first_ask_for_the_rows_past_the_last_key() -> None:
    table = Table([{"Year": y, "No": n} for y in (2024, 2025) for n in ("b", "a")])
    await _drain(Pager(table.fetch, order_by=["Year", "-No"], page_size=3))
    assert table.calls[0] == (0, 3, None)
    assert table.calls[1] == (
        0,
        4,
        [[Filter("Year", ">", 2025)], [Filter("Year", "=", 2025), Filter("No", "<=", "b")]],
    )


@pytest.mark.anyio
async def test_rows_that_leave_the_filtered_set_do_not_skip_others() -> None:
    # What a stkkr does when it writes a field its `where` selects on: each page read is gone from the set.
    table = Table([{"Id": i} for i in range(10)])
    table.after_fetch = table.remove
    pages = await _drain(Pager(table.fetch, order_by=["Id"], page_size=3))
    assert [row["Id"] for page in pages for row in page] == list(range(10))


@pytest.mark.anyio
async def test_rows_shifted_by_inserts_are_not_yielded_twice() -> None:
    table = Table([{"Id": i} for i in range(10, 20)])
    table.before_fetch = [[], [{"Id": 1}, {"Id": 2}]]  # two rows appear before the cursor after page 1
    pages = await _drain(Pager(table.fetch, order_by=["Id"], page_size=4))
    ids = [row["Id"] for page in pages for row in page]
    assert ids == list(range(10, 20))


@pytest.mark.anyio
async def test_descending_text_keys() -> None:
    table = Table([{"Code": c} for c in ["e", "D", "c", "B", "a"]])
    table.before_fetch = [[], [{"Code": "z"}]]  # sorts before the cursor
    pages = await _drain(Pager(table.fetch, order_by=["-Code"], page_size=2))
    codes = [row["Code"] for page in pages for row in page]
    assert codes == ["e", "D", "c", "B", "a"]


@pytest.mark.anyio
async def test_text_keys_out_of_python_order_are_kept() -> None:
    # AFAS orders and compares text by database collation (case-insensitive); Python would call "B" < "a".
    table = Table([{"Code": c} for c in ["a", "B", "c", "D"]])
    pages = await _drain(Pager(table.fetch, order_by=["Code"], page_size=1))
    assert [p[0]["Code"] for p in pages] == ["a", "B", "c", "D"]


@pytest.mark.anyio
async def test_keys_afas_cannot_compare_fall_back_to_skip_and_dedupe() -> None:
    stamps = [datetime(2025, 1, day, tzinfo=UTC) for day in range(1, 8)]
    table = Table([{"At": stamp} for stamp in stamps])
    table.before_fetch = [[], [{"At": datetime(2024, 1, 1, tzinfo=UTC)}]]  # shifts a row back onto page 2
    pages = await _drain(Pager(table.fetch, order_by=["At"], page_size=3))
    assert [row["At"] for page in pages for row in page] == stamps
    assert [(skip, after) for skip, _, after in table.calls] == [(0, None), (3, None), (6, None)]


@pytest.mark.anyio
async def test_a_key_filter_too_long_for_the_query_stops_paging_instead_of_counting() -> None:
    # Counting rows from here would skip rows that leave the where set (see the test above): refuse.
    table = Table([{"Id": i} for i in range(7)])
    table.after_fetch = table.remove

    async def fetch(skip: int, take: int, after: Any) -> list[dict[str, Any]]:
        if after is not None:
            raise AfasQueryTooLongError(2100, 2049)
        return await table.fetch(skip, take, after)

    pager = Pager(fetch, order_by=["Id"], page_size=3)
    assert [row["Id"] for row in await pager.next_page() or []] == [0, 1, 2]
    with pytest.raises(AfasPagingError, match=r"no room in AFAS's query .* \(2100 of 2049 characters\)"):
        await pager.next_page()
    assert [skip for skip, _, _ in table.calls] == [0]


@pytest.mark.parametrize(
    ("ids", "page_size"),
    [
        ([1, 2, 2, 3], 10),  # two rows of one page share the key
        ([1, 2, 3, 3, 4], 3),  # the tie spans a page boundary: the last key comes back twice
        ([1, 2, 3, 3, 4, 5], 3),
        ([1, 1], 1),
    ],
)
@pytest.mark.anyio
async def test_rows_sharing_an_order_key_stop_paging(ids: list[int], page_size: int) -> None:
    table = Table([{"Id": i, "Row": n} for n, i in enumerate(ids)])
    with pytest.raises(
        AfasPagingError, match=r"two rows share the same order_by key \(Id\).*order_by_unique"
    ):
        await _drain(Pager(table.fetch, order_by=["Id"], page_size=page_size))


@pytest.mark.anyio
async def test_a_declared_non_unique_order_pages_by_count_and_keeps_ties() -> None:
    table = Table([{"Group": g, "Row": n} for n, g in enumerate(["a", "a", "b", "b", "b", "c"])])
    pages = await _drain(Pager(table.fetch, order_by=["Group"], page_size=2, unique_order=False))
    assert [row["Row"] for page in pages for row in page] == list(range(6))
    assert [(skip, after) for skip, _, after in table.calls] == [(0, None), (2, None), (4, None), (6, None)]


def test_pager_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="order_by"):
        Pager(Table([]).fetch, order_by=[])
    with pytest.raises(ValueError, match="page_size"):
        Pager(Table([]).fetch, order_by=["Id"], page_size=0)


def test_get_meta_reads_documented_shape() -> None:
    meta = GetConnectorMeta.model_validate(
        {
            "name": "Profit_Administrations",
            "description": "Administraties (Profit)",
            "fields": [
                {"id": "AdminId", "fieldId": "U002", "dataType": "int", "label": "Administratie", "length": 3,
                 "controlType": 5, "decimals": 0, "decimalsFieldId": ""},
            ],
        }
    )  # fmt: skip
    field = meta.field("AdminId")
    assert field is not None and (field.field_id, field.data_type, field.length, field.control_type) == (
        "U002", "int", 3, 5
    )  # fmt: skip
    assert meta.field("U002") is None


def test_update_meta_tolerates_key_variants_and_nulls() -> None:
    meta = UpdateConnectorMeta.model_validate(
        {
            "id": "KnPerson",
            "description": None,
            "fields": [
                {
                    "fieldId": "BcCo",
                    "primaryKey": True,
                    "dataType": "string",
                    "label": "Nummer",
                    "mandatory": False,
                    "length": 15,
                    "decimals": 0,
                    "decimalFieldId": "",
                    "notzero": False,
                    "values": None,
                },
                {
                    "fieldId": "ViGe",
                    "dataType": "string",
                    "mandatory": True,
                    "length": None,
                    "values": [{"id": "M", "description": "Man"}, {"id": 1, "description": None}],
                    "unknownKey": 1,
                },
            ],
            "objects": [
                {
                    "name": "KnBasicAddressAdr",
                    "fields": [{"fieldId": "CoId", "notZero": True}],
                    "objects": None,
                }
            ],
        }
    )
    assert meta.name == "KnPerson" and meta.description == ""
    key, gender = meta.field("@BcCo"), meta.field("ViGe")
    assert key is not None and key.primary_key is True
    assert gender is not None and gender.mandatory and gender.length == 0
    assert [(v.id, v.description) for v in gender.values or []] == [("M", "Man"), ("1", "")]
    address = meta.object("KnBasicAddressAdr")
    assert address is not None and address.objects == []
    country = address.field("CoId")
    assert country is not None and country.not_zero
    assert meta.object("Nope") is None


def test_connector_list() -> None:
    listing = ConnectorList.model_validate(
        {"updateConnectors": [{"id": "KnAddress", "description": "Adres"}], "getConnectors": None, "info": {}}
    )
    assert [c.id for c in listing.update_connectors] == ["KnAddress"]
    assert listing.get_connectors == []
