"""UpdateConnector writes over loopback: AFAS examples, validation like AFAS, data changes, delete URLs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from stkkr_tasks.simulator import Simulator
from tests.simulator.conftest import assert_afas_error

EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "afas_insert_examples.json").read_text("utf-8"))
ALL_EXAMPLES = [(c, name) for c, named in EXAMPLES.items() for name in named]


def example(connector: str, name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[connector][name])


@pytest.mark.parametrize(("connector", "name"), ALL_EXAMPLES)
def test_afas_example_inserts_are_accepted(
    http: httpx.Client, sim: Simulator, connector: str, name: str
) -> None:
    body = example(connector, name)
    response = http.post(f"/connectors/{connector}", json=body)
    assert response.status_code == 201, response.text
    number = response.json()["results"][connector]["BcCo"]
    row = next(r for r in sim.rows("Profit_OrgPer") if r["BcCo"] == number)
    fields = body[connector]["Element"]["Fields"]
    assert row["Type"] == ("P" if connector == "KnPerson" else "O")
    assert row["Name"] == fields.get("Nm") or fields["LaNm"] in row["Name"]
    assert [w.method for w in sim.writes] == ["POST"] and sim.writes[0].body == body


def test_insert_maps_address_sub_object(http: httpx.Client, sim: Simulator) -> None:
    response = http.post("/connectors/KnPerson", json=example("KnPerson", "create person"))
    number = response.json()["results"]["KnPerson"]["BcCo"]
    rows = http.get(
        "/connectors/Profit_OrgPer",
        params={"filterfieldids": "BcCo", "filtervalues": number, "operatortypes": 1},
    ).json()["rows"]
    assert rows[0]["AdressLine1"] == "Raadhuislaan 105"
    assert rows[0]["AdressLine3"] == "3833LC Leusden"
    assert rows[0]["DateBirth"] == "1967-04-07T00:00:00Z"


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return body["KnPerson"]["Element"]["Fields"]


def _unknown_field(body: dict[str, Any]) -> None:
    _fields(body)["Xyz"] = "1"


def _missing_mandatory(body: dict[str, Any]) -> None:
    del _fields(body)["MatchPer"]


def _too_long(body: dict[str, Any]) -> None:
    _fields(body)["SeNm"] = "ELFTEKENSXX"


def _wrong_date(body: dict[str, Any]) -> None:
    _fields(body)["DaBi"] = "12-12-1990"


def _wrong_bool(body: dict[str, Any]) -> None:
    _fields(body)["AutoNum"] = "yes"


def _wrong_int(body: dict[str, Any]) -> None:
    body["KnPerson"]["Element"]["Objects"]["KnBasicAddressAdr"]["Element"]["Fields"]["HmNr"] = "1O5"


def _not_allowed(body: dict[str, Any]) -> None:
    _fields(body)["ViGe"] = "Q"


def _unknown_object(body: dict[str, Any]) -> None:
    body["KnPerson"]["Element"]["Objects"]["KnNope"] = {"Element": {"Fields": {}}}


def _sub_mandatory(body: dict[str, Any]) -> None:
    del body["KnPerson"]["Element"]["Objects"]["KnBasicAddressAdr"]["Element"]["Fields"]["CoId"]


BROKEN = [
    (_unknown_field, "'Xyz' does not exist"),
    (_missing_mandatory, "(MatchPer) is mandatory"),
    (_too_long, "(SeNm) in object 'KnPerson' is longer than 10"),
    (_wrong_date, "(DaBi) in object 'KnPerson': expected a date"),
    (_wrong_bool, "(AutoNum) in object 'KnPerson': expected a boolean"),
    (_wrong_int, "(HmNr) in object 'KnBasicAddressAdr': expected an integer"),
    (_not_allowed, "(ViGe) in object 'KnPerson' does not exist"),
    (_unknown_object, "Object 'KnNope' does not exist"),
    (_sub_mandatory, "(CoId) is mandatory in object 'KnBasicAddressAdr'"),
]


@pytest.mark.parametrize(("breaker", "message"), BROKEN, ids=[b.__name__.strip("_") for b, _ in BROKEN])
def test_broken_variants_are_refused_like_afas(
    http: httpx.Client, sim: Simulator, breaker: Any, message: str
) -> None:
    body = example("KnPerson", "create person")
    breaker(body)
    before = sim.rows("Profit_OrgPer")
    assert_afas_error(http.post("/connectors/KnPerson", json=body), message)
    assert sim.rows("Profit_OrgPer") == before
    assert sim.writes == []


def test_messages_never_echo_values(http: httpx.Client) -> None:
    body = example("KnPerson", "create person")
    _fields(body)["SeNm"] = "GEHEIMWAARDE"
    response = http.post("/connectors/KnPerson", json=body)
    assert "GEHEIMWAARDE" not in response.text


def test_unknown_update_connector(http: httpx.Client) -> None:
    body: dict[str, Any] = {"KnNope": {"Element": {"Fields": {}}}}
    assert_afas_error(http.post("/connectors/KnNope", json=body), "niet ondersteund of de gebruiker")


def test_body_root_must_match_connector(http: httpx.Client) -> None:
    assert_afas_error(
        http.post("/connectors/KnPerson", json={"KnOrganisation": {"Element": {}}}), "root object"
    )


def test_invalid_json_is_a_bad_request(http: httpx.Client) -> None:
    assert http.post("/connectors/KnPerson", content=b"{nope").status_code == 400


@pytest.mark.parametrize("key_style", ["attribute", "field"])
def test_update_changes_later_gets(http: httpx.Client, sim: Simulator, key_style: str) -> None:
    before = sim.rows("Profit_Projects")[5]
    fields = {"PrSt": "Afgesloten", "DtGp": "2024-02-29", "ChOu": "1"}
    element: dict[str, Any] = {"Fields": fields}
    if key_style == "attribute":
        element["@PrId"] = before["ProjectId"]
    else:
        fields["PrId"] = before["ProjectId"]
    response = http.put("/connectors/PtProject", json={"PtProject": {"Element": element}})
    assert response.status_code == 201, response.text
    assert response.json() == {"results": {"PtProject": {"PrId": before["ProjectId"]}}}
    params = {
        "filterfieldids": "Status,EndDate",
        "filtervalues": "Afgesloten,2024-02-29",
        "operatortypes": "1,1",
    }
    rows = http.get("/connectors/Profit_Projects", params={**params, "orderbyfieldids": "ProjectId"}).json()[
        "rows"
    ]
    after = next(r for r in rows if r["ProjectId"] == before["ProjectId"])
    assert (after["Status"], after["EndDate"], after["CheckedOut"]) == (
        "Afgesloten",
        "2024-02-29T00:00:00Z",
        True,
    )
    assert after["Description"] == before["Description"]
    assert after["ModifiedDate"] >= before["ModifiedDate"]


def test_cached_views_see_inserts_and_updates(http: httpx.Client) -> None:
    params: dict[str, str | int] = {"skip": -1, "take": -1, "orderbyfieldids": "-ProjectId"}
    first = http.get("/connectors/Profit_Projects", params=params).json()["rows"]
    body = {"PtProject": {"Element": {"Fields": {"PrGp": "CON", "Ds": "Nieuw project"}}}}
    new_id = http.post("/connectors/PtProject", json=body).json()["results"]["PtProject"]["PrId"]
    second = http.get("/connectors/Profit_Projects", params=params).json()["rows"]
    assert len(second) == len(first) + 1 and second[0]["ProjectId"] == new_id
    http.put(
        "/connectors/PtProject",
        json={"PtProject": {"Element": {"@PrId": new_id, "Fields": {"Ds": "Hernoemd"}}}},
    )
    third = http.get("/connectors/Profit_Projects", params=params).json()["rows"]
    assert third[0]["Description"] == "Hernoemd"


def test_update_of_unknown_key_is_refused(http: httpx.Client, sim: Simulator) -> None:
    body = {"PtProject": {"Element": {"@PrId": "999999", "Fields": {"Ds": "x"}}}}
    assert_afas_error(http.put("/connectors/PtProject", json=body), "does not exist")
    organisation = next(r for r in sim.rows("Profit_OrgPer") if r["Type"] == "O")
    body = {"KnPerson": {"Element": {"Fields": {"MatchPer": "0", "BcCo": organisation["BcCo"], "LaNm": "x"}}}}
    assert_afas_error(http.put("/connectors/KnPerson", json=body), "does not exist")


def test_insert_with_existing_key_is_refused(http: httpx.Client, sim: Simulator) -> None:
    existing = sim.rows("Profit_Projects")[0]["ProjectId"]
    body = {"PtProject": {"Element": {"Fields": {"PrId": existing, "PrGp": "CON"}}}}
    assert_afas_error(http.post("/connectors/PtProject", json=body), "already exists")


def test_objects_as_array_and_sub_element_as_array(http: httpx.Client) -> None:
    address = {"CoId": "NL", "PbAd": False, "Ad": "Kerkstraat", "HmNr": 1, "ZpCd": "1234AB", "Rs": "Utrecht"}
    element = {
        "Fields": {"MatchOga": "6", "Nm": "Test B.V.", "AutoNum": True},
        "Objects": [{"KnBasicAddressAdr": {"Element": [{"Fields": address}]}}],
    }
    response = http.post("/connectors/KnOrganisation", json={"KnOrganisation": {"Element": element}})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("prefix", ["@", ""])
def test_delete_url_with_and_without_at(http: httpx.Client, sim: Simulator, prefix: str) -> None:
    project = sim.rows("Profit_Projects")[3]["ProjectId"]
    response = http.delete(f"/connectors/PtProject/PtProject/{prefix}PrId/{project}")
    assert response.status_code == 200
    assert project not in {r["ProjectId"] for r in sim.rows("Profit_Projects")}
    assert sim.writes[-1].method == "DELETE" and sim.writes[-1].keys == {"PrId": project}
    assert_afas_error(http.delete(f"/connectors/PtProject/PtProject/@PrId/{project}"), "does not exist")


def test_delete_with_integer_key_and_bad_keys(http: httpx.Client, sim: Simulator) -> None:
    contact = sim.rows("Profit_Contacts")[0]["ContactId"]
    assert http.delete(f"/connectors/KnContact/KnContact/@CdId/{contact}").status_code == 200
    assert contact not in {r["ContactId"] for r in sim.rows("Profit_Contacts")}
    assert_afas_error(http.delete("/connectors/KnContact/KnContact/@Nope/1"), "'Nope' does not exist")
    assert_afas_error(http.delete("/connectors/KnContact/KnContact/@CdId,@BcCoOga/1"), "do not match")
    assert_afas_error(http.delete("/connectors/KnNope/KnNope/@Id/1"), "niet ondersteund")


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("HrWe", "1e999", "expected a number"),  # JSON's 1e999 is infinity
        ("HrWe", '"' + "9" * 400 + '"', "expected a number"),
        ("HrWe", "9" * 4000, "expected a number"),
        ("HrWe", '"' + "1" * 60 + '.5"', "expected a number"),
    ],
)
def test_numbers_out_of_range_are_refused_like_afas(
    http: httpx.Client, sim: Simulator, field: str, raw: str, message: str
) -> None:
    project = sim.rows("Profit_Projects")[0]
    element = {"@PrId": project["ProjectId"], "Fields": {field: "RAW"}}
    body = json.dumps({"PtProject": {"Element": element}}).replace('"RAW"', raw)
    response = http.put("/connectors/PtProject", content=body, headers={"Content-Type": "application/json"})
    assert_afas_error(response, message)
    assert sim.rows("Profit_Projects")[0] == project


@pytest.mark.parametrize("raw", ['"' + "9" * 30 + '"', str(2**63)])
def test_integers_beyond_64_bits_are_refused(http: httpx.Client, raw: str) -> None:
    body = example("KnPerson", "create person")
    text = json.dumps(body).replace('"HmNr": ', f'"HmNr": {raw}, "_": ', 1)
    response = http.post("/connectors/KnPerson", content=text, headers={"Content-Type": "application/json"})
    assert_afas_error(response, "(HmNr) in object 'KnBasicAddressAdr': expected an integer")
