"""Token check, ProfitVersion and the metainfo endpoints."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from stkkr_tasks.simulator import Simulator
from tests.simulator.conftest import assert_afas_error


def _auth(text: str) -> dict[str, str]:
    return {"Authorization": "AfasToken " + base64.b64encode(text.encode()).decode()}


@pytest.mark.parametrize("kind", ["missing", "wrong", "not base64", "data part only"])
def test_wrong_or_missing_token_is_401(sim: Simulator, kind: str) -> None:
    data = sim.token.split("<data>")[1].split("</data>")[0]
    headers = {
        "missing": {},
        "wrong": _auth(sim.token.replace(data[:4], "0000" if data[:4] != "0000" else "1111")),
        "not base64": {"Authorization": f"AfasToken {sim.token}"},
        "data part only": _auth(data),
    }[kind]
    response = httpx.get(f"{sim.base_url}/connectors/Profit_Projects", headers=headers)
    assert response.status_code == 401 and response.content == b""


def test_token_from_data_part_and_version(make_simulator: Callable[..., Simulator]) -> None:
    sim = make_simulator(rows=1, token="ABC123")
    assert sim.token == "<token><version>1</version><data>ABC123</data></token>"
    response = httpx.get(f"{sim.base_url}/ProfitVersion", headers=_auth(sim.token))
    assert response.status_code == 200 and response.json()["version"]
    assert "ABC123" not in repr(sim)


def test_metainfo_lists_the_connectors(http: httpx.Client) -> None:
    body = http.get("/metainfo").json()
    assert {c["id"] for c in body["getConnectors"]} >= {"Profit_Contacts", "Profit_OrgPer", "Profit_Projects"}
    assert {c["id"] for c in body["updateConnectors"]} >= {
        "KnPerson",
        "KnOrganisation",
        "KnContact",
        "PtProject",
    }
    assert set(body["info"]) == {"envid", "appName", "group", "tokenExpiry"}


def test_get_metainfo_shape(http: httpx.Client) -> None:
    body = http.get("/MetaInfo/get/Profit_OrgPer").json()
    assert body["name"] == "Profit_OrgPer"
    field = body["fields"][0]
    assert set(field) == {
        "id",
        "fieldId",
        "dataType",
        "label",
        "length",
        "controlType",
        "decimals",
        "decimalsFieldId",
    }
    assert field["id"] == "BcCo" and field["dataType"] == "string"


def test_update_metainfo_shape_with_nested_objects(http: httpx.Client) -> None:
    body = http.get("/metainfo/update/KnPerson").json()
    fields = {f["fieldId"]: f for f in body["fields"]}
    assert fields["MatchPer"]["mandatory"] is True and fields["BcCo"]["primaryKey"] is True
    assert {v["id"] for v in fields["ViGe"]["values"]} == {"M", "O", "V", "X"}
    assert fields["DaBi"]["dataType"] == "date" and fields["LaNm"]["length"] == 80
    address = next(o for o in body["objects"] if o["name"] == "KnBasicAddressAdr")
    assert {"fieldId", "notzero", "decimalFieldId", "values"} <= set(address["fields"][0])
    contact = next(o for o in body["objects"] if o["name"] == "KnContact")
    assert any(o["name"] == "KnPerson" for o in contact["objects"])


def test_unknown_connectors_in_metainfo(http: httpx.Client) -> None:
    assert_afas_error(http.get("/metainfo/update/KnNope"), "niet ondersteund")
    assert_afas_error(http.get("/metainfo/get/Profit_Nope"), "GetConnector not supported")
