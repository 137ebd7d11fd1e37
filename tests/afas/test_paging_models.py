"""The pager's stop and de-duplication rules, and metainfo models over AFAS's key variants."""

from __future__ import annotations

from typing import Any

import pytest

from stkkr_tasks.afas import ConnectorList, GetConnectorMeta, Pager, UpdateConnectorMeta


class Table:
    """A list of rows served with skip/take, to which rows can be added between pages."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls: list[tuple[int, int]] = []
        self.before_fetch: list[list[dict[str, Any]]] = []

    async def fetch(self, skip: int, take: int) -> list[dict[str, Any]]:
        self.calls.append((skip, take))
        if self.before_fetch:
            self.rows[0:0] = self.before_fetch.pop(0)
        return self.rows[skip : skip + take]


async def _drain(pager: Pager) -> list[list[dict[str, Any]]]:
    pages = []
    while (page := await pager.next_page()) is not None:
        pages.append(page)
    return pages


@pytest.mark.anyio
async def test_stops_on_short_page() -> None:
    table = Table([{"Id": i} for i in range(7)])
    pager = Pager(table.fetch, order_by=["Id"], page_size=3)
    pages = await _drain(pager)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert table.calls == [(0, 3), (3, 3), (6, 3)]
    assert (pager.pages_read, pager.rows_read) == (3, 7)
    assert await pager.next_page() is None
    assert len(table.calls) == 3


@pytest.mark.anyio
async def test_full_last_page_costs_one_empty_request() -> None:
    table = Table([{"Id": i} for i in range(6)])
    pages = await _drain(Pager(table.fetch, order_by=["Id"], page_size=3))
    assert [len(p) for p in pages] == [3, 3]
    assert table.calls[-1] == (6, 3)


@pytest.mark.anyio
async def test_rows_shifted_by_inserts_are_not_yielded_twice() -> None:
    table = Table([{"Id": i} for i in range(10, 20)])
    table.before_fetch = [[], [{"Id": 1}, {"Id": 2}]]  # two rows appear before the cursor after page 1
    pages = await _drain(Pager(table.fetch, order_by=["Id"], page_size=4))
    ids = [row["Id"] for page in pages for row in page]
    assert ids == list(range(10, 20))


@pytest.mark.anyio
async def test_descending_and_text_keys_dedupe_on_previous_page() -> None:
    table = Table([{"Code": c} for c in ["e", "D", "c", "B", "a"]])
    table.before_fetch = [[], [{"Code": "z"}]]  # shifts "B" back onto page 2's first row
    pages = await _drain(Pager(table.fetch, order_by=["-Code"], page_size=2))
    codes = [row["Code"] for page in pages for row in page]
    assert codes == ["e", "D", "c", "B", "a"]


@pytest.mark.anyio
async def test_text_keys_out_of_python_order_are_kept() -> None:
    # AFAS orders text by database collation (case-insensitive); Python would call "B" < "a".
    table = Table([{"Code": c} for c in ["a", "B", "c", "D"]])
    pages = await _drain(Pager(table.fetch, order_by=["Code"], page_size=1))
    assert [p[0]["Code"] for p in pages] == ["a", "B", "c", "D"]


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
    assert meta.field("@BcCo").primary_key is True
    gender = meta.field("ViGe")
    assert gender.mandatory and gender.length == 0
    assert [(v.id, v.description) for v in gender.values] == [("M", "Man"), ("1", "")]
    address = meta.object("KnBasicAddressAdr")
    assert address is not None and address.field("CoId").not_zero and address.objects == []
    assert meta.object("Nope") is None


def test_connector_list() -> None:
    listing = ConnectorList.model_validate(
        {"updateConnectors": [{"id": "KnAddress", "description": "Adres"}], "getConnectors": None, "info": {}}
    )
    assert [c.id for c in listing.update_connectors] == ["KnAddress"]
    assert listing.get_connectors == []
