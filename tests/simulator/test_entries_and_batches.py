"""Journal entries (FiEntries) and several elements per request: AFAS's checks and all-or-nothing messages."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import httpx
import pytest

from stkkr_tasks.simulator import Simulator
from stkkr_tasks.simulator.faults import Faults
from tests.simulator.conftest import assert_afas_error

YEAR = date.today().year


def _line(account_type: str, account: str, debit: str = "0", credit: str = "0") -> dict[str, Any]:
    day = f"{YEAR}-03-15"
    fields = {"VaAs": account_type, "AcNr": account, "EnDa": day, "BpDa": day, "AmDe": debit, "AmCr": credit}
    return {"Fields": fields}


ENTRY: dict[str, Any] = {
    "FiEntryPar": {
        "Element": {
            "Fields": {"Year": YEAR, "Peri": 3, "UnId": 1, "JoCo": "50"},
            "Objects": [
                {
                    "FiEntries": {
                        "Element": [
                            _line("1", "1100", debit="150.50"),
                            _line("2", "10001", credit="100.25"),
                            _line("2", "10002", credit="50.25"),
                        ]
                    }
                }
            ],
        }
    }
}


def _entry(**header: Any) -> dict[str, Any]:
    body = copy.deepcopy(ENTRY)
    body["FiEntryPar"]["Element"]["Fields"].update(header)
    return body


def test_a_balanced_entry_is_accepted_under_its_root_object(http: httpx.Client, sim: Simulator) -> None:
    response = http.post("/connectors/FiEntries", json=ENTRY)

    assert response.status_code == 201, response.text
    result = response.json()["results"]["FiEntryPar"]
    assert result["UnId"] == "1" and result["EnNo"].isdigit()
    assert sim.writes[0].body == ENTRY
    meta = http.get("/metainfo/update/FiEntries").json()
    assert (meta["id"], meta["name"]) == ("FiEntries", "FiEntryPar")
    assert meta["objects"][0]["multiple"] is True


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"JoCo": "99"}, "'Journal' (JoCo) does not exist"),
        ({"Peri": 14}, "period (Peri) does not exist"),
        ({"Year": YEAR - 3}, f"period 3 of the year {YEAR - 3} is blocked"),
    ],
)
def test_journal_and_period_must_exist_and_be_open(
    http: httpx.Client, sim: Simulator, change: dict[str, Any], fragment: str
) -> None:
    assert_afas_error(http.post("/connectors/FiEntries", json=_entry(**change)), fragment)
    assert sim.writes == []


def test_debit_must_equal_credit(http: httpx.Client, sim: Simulator) -> None:
    body = _entry()
    body["FiEntryPar"]["Element"]["Objects"][0]["FiEntries"]["Element"][1]["Fields"]["AmCr"] = "100.26"

    assert_afas_error(http.post("/connectors/FiEntries", json=body), "not in balance")


def test_the_connector_name_as_root_is_refused(http: httpx.Client) -> None:
    body = {"FiEntries": ENTRY["FiEntryPar"]}

    assert_afas_error(http.post("/connectors/FiEntries", json=body), "root object 'FiEntries'")


def test_a_sub_object_of_one_line_refuses_an_array(http: httpx.Client) -> None:
    address = {"Fields": {"CoId": "NL", "Ad": "Dorpsstraat", "HmNr": 1, "ZpCd": "1234AB", "Rs": "Ede"}}
    element = {"Fields": {"Nm": "X BV"}, "Objects": [{"KnBasicAddressAdr": {"Element": [address, address]}}]}

    response = http.put("/connectors/KnOrganisation", json={"KnOrganisation": {"Element": element}})

    assert_afas_error(response, "'KnBasicAddressAdr' does not support supplying multiple lines")


def _project_updates(sim: Simulator, count: int) -> list[dict[str, Any]]:
    ids = [row["ProjectId"] for row in sim.rows("Profit_Projects")[:count]]
    return [{"@PrId": project, "Fields": {"Ds": f"batch {n}"}} for n, project in enumerate(ids)]


def test_several_elements_are_written_all_or_nothing(http: httpx.Client, sim: Simulator) -> None:
    elements = _project_updates(sim, 3)
    before = {row["ProjectId"]: row["Description"] for row in sim.rows("Profit_Projects")[:3]}
    refused = [*elements[:2], {"@PrId": "NOPE", "Fields": {"Ds": "x"}}]

    response = http.put("/connectors/PtProject", json={"PtProject": {"Element": refused}})
    assert_afas_error(response, "not exist")
    after = {row["ProjectId"]: row["Description"] for row in sim.rows("Profit_Projects")[:3]}
    assert after == before  # the first two were undone with the third

    response = http.put("/connectors/PtProject", json={"PtProject": {"Element": elements}})
    assert response.status_code == 201, response.text
    written = [row["Description"] for row in sim.rows("Profit_Projects")[:3]]
    assert written == ["batch 0", "batch 1", "batch 2"]


def test_a_connector_without_element_arrays_refuses_the_shape(http: httpx.Client, sim: Simulator) -> None:
    sim.faults = Faults(element_arrays=False)
    elements = _project_updates(sim, 2)

    refused = http.put("/connectors/PtProject", json={"PtProject": {"Element": elements}})
    single = http.put("/connectors/PtProject", json={"PtProject": {"Element": elements[0]}})

    assert_afas_error(refused, "invalid Element")
    assert single.status_code == 201
