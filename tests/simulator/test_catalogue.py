"""Catalogue files, generated data per generator kind, and catalogues built from metainfo."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from stkkr_tasks.simulator import Catalogue, CatalogueError, Simulator
from stkkr_tasks.simulator.capture import catalogue_from_metainfo_json
from tests.simulator.conftest import assert_afas_error

FIXTURES = Path(__file__).parent / "fixtures"
METAINFO = json.loads((FIXTURES / "metainfo_small.json").read_text("utf-8"))


def _client(sim: Simulator) -> httpx.Client:
    assert sim.base_url is not None
    return httpx.Client(base_url=sim.base_url, headers={"Authorization": sim.auth_header})


def test_catalogue_file_adds_connectors(make_simulator: Callable[..., Simulator]) -> None:
    sim = make_simulator(rows=20, catalogue=FIXTURES / "custom_catalogue.yaml")
    with _client(sim) as http:
        listed = {c["id"] for c in http.get("/metainfo").json()["getConnectors"]}
        assert {"Acme_Machines", "Profit_Projects"} <= listed
        rows = http.get("/connectors/Acme_Machines", params={"orderbyfieldids": "-MachineId"}).json()["rows"]
        assert rows[0]["MachineId"] == "M00020" and {r["Hall"] for r in rows} <= {"H1", "H2"}
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", r["NextService"]) for r in rows)
        body = {"AcMachine": {"Element": {"@MaId": "M00003", "Fields": {"Hall": "H2"}}}}
        assert http.put("/connectors/AcMachine", json=body).status_code == 201
        assert_afas_error(
            http.post("/connectors/AcMachine", json={"AcMachine": {"Element": {}}}), "mandatory"
        )
    assert next(r for r in sim.rows("Acme_Machines") if r["MachineId"] == "M00003")["Hall"] == "H2"


def test_catalogue_without_builtin(tmp_path: Path) -> None:
    data = Catalogue.load(FIXTURES / "custom_catalogue.yaml").to_dict() | {"include_builtin": False}
    path = tmp_path / "only.json"
    path.write_text(json.dumps(data))
    sim = Simulator(rows=5, catalogue=path)
    assert list(sim.catalogue.get_connectors) == ["Acme_Machines"]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_and_load_round_trip(tmp_path: Path, suffix: str) -> None:
    catalogue = Catalogue.load(FIXTURES / "custom_catalogue.yaml")
    catalogue.save(tmp_path / f"copy{suffix}")
    assert Catalogue.load(tmp_path / f"copy{suffix}") == catalogue


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["get_connectors"]["Acme_Machines"]["fields"][1].update(type="text"), "fields.1.type"),
        (lambda d: d["update_connectors"]["AcMachine"]["target"].update(columns={"Nope": "Hall"}), "'Nope'"),
        (lambda d: d["update_connectors"]["AcMachine"]["target"].update(keys=[{"Xx": "MachineId"}]), "'Xx'"),
        (lambda d: d.update(extra=1), "extra"),
    ],
)
def test_invalid_catalogue_names_the_problem(
    tmp_path: Path, change: Callable[[dict], None], message: str
) -> None:
    data = Catalogue.load(FIXTURES / "custom_catalogue.yaml").to_dict()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CatalogueError, match=re.escape(message)) as info:
        Catalogue.load(path)
    assert str(path) in str(info.value)


def test_unknown_generator_kind_is_reported() -> None:
    data = Catalogue.load(FIXTURES / "custom_catalogue.yaml").to_dict()
    data["get_connectors"]["Acme_Machines"]["fields"][1]["gen"] = {"kind": "lottery"}
    sim = Simulator(rows=3, catalogue=Catalogue.from_dict(data))
    with pytest.raises(CatalogueError, match=r"Acme_Machines\.fields\.Hall\.gen: unknown generator kind"):
        sim.rows("Acme_Machines")


def test_catalogue_from_metainfo_json(make_simulator: Callable[..., Simulator]) -> None:
    catalogue = catalogue_from_metainfo_json(METAINFO["get"], METAINFO["update"])
    assert not catalogue.include_builtin
    sim = make_simulator(rows=30, catalogue=catalogue)
    with _client(sim) as http:
        meta = http.get("/metainfo/get/Acme_Verlof").json()
        assert meta["fields"] == METAINFO["get"]["Acme_Verlof"]["fields"]
        update = http.get("/metainfo/update/HrAbsence").json()
        assert update["fields"] == METAINFO["update"]["HrAbsence"]["fields"]
        assert update["objects"] == METAINFO["update"]["HrAbsence"]["objects"]
        rows = http.get("/connectors/Acme_Verlof", params={"skip": -1, "take": -1}).json()["rows"]
        assert [r["AanvraagId"] for r in rows] == list(range(1, 31))
        assert all("@" in r["Email"] for r in rows)
        assert all(isinstance(r["Goedgekeurd"], bool) for r in rows)
        body = {"HrAbsence": {"Element": {"Fields": {"EmId": "E1", "ViAt": "VER"}}}}
        assert_afas_error(http.post("/connectors/HrAbsence", json=body), "(ViAt)")
        body["HrAbsence"]["Element"]["Fields"]["ViAt"] = "VAK"
        assert http.post("/connectors/HrAbsence", json=body).status_code == 201
        assert http.get("/connectors/Profit_Projects").status_code == 500
