"""Refusal wording: `plain` names fields; `afas-formatted` quotes values and other records as AFAS does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stkkr_tasks.afas.auth import token_header
from stkkr_tasks.simulator import Catalogue, Simulator
from tests.simulator.conftest import assert_afas_error

NAMES = ["Piet de Boer", "Esther van der Berg", "Sean O'Brien"]
CATALOGUE = {
    "format": 1,
    "include_builtin": False,
    "get_connectors": {
        "Emp": {
            "fields": [
                {"id": "EmpId", "type": "string", "gen": {"kind": "seq", "format": "E{n:03d}"}},
                {"id": "Name", "type": "string", "gen": {"kind": "cycle", "values": NAMES}},
            ]
        }
    },
    "update_connectors": {
        "KnEmp": {
            "fields": [
                {"field_id": "EmId", "type": "string", "primary_key": True},
                {"field_id": "Nm", "label": "Naam", "type": "string", "length": 5},
                {"field_id": "Am", "type": "decimal", "decimals": 2},
                {"field_id": "Dt", "type": "date"},
                {"field_id": "Ml", "type": "string"},
                {"field_id": "Pc", "type": "string"},
                {"field_id": "Ib", "type": "string"},
                {"field_id": "Nr", "type": "string"},
                {"field_id": "Ct", "type": "int"},
            ],
            "target": {"get_connector": "Emp", "keys": [{"EmId": "EmpId"}], "columns": {"Name": "Nm"}},
        }
    },
}
FIELDS = {
    "Nm": "Jan  O'Brien-Jansen",
    "Am": 1234.5,
    "Dt": "2024-05-01",
    "Ml": "Jan.Jansen@Example.nl",
    "Pc": "1234ab",
    "Ib": "NL91ABNA0417164300",
    "Nr": "000123",
    "Ct": 1234567,
}


def _refuse(sim: Simulator, times: int) -> list[str]:
    assert sim.base_url is not None
    messages = []
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": sim.auth_header}) as http:
        for _ in range(times):
            body = {"KnEmp": {"Element": {"@EmId": "E001", "Fields": FIELDS}}}
            messages.append(
                assert_afas_error(http.put("/connectors/KnEmp", json=body), "'Naam' (Nm)")["externalMessage"]
            )
    return messages


def test_plain_refusals_name_the_field_only(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=3, catalogue=Catalogue.from_dict(CATALOGUE))

    (message,) = _refuse(sim, 1)

    assert message == "The value for field 'Naam' (Nm) in object 'KnEmp' is longer than 5 characters."


def test_afas_formatted_refusals_quote_values_the_way_afas_formats_them(
    make_simulator: Callable[..., Any],
) -> None:
    sim = make_simulator(rows=3, catalogue=Catalogue.from_dict(CATALOGUE), refusals="afas-formatted")

    first, second, third, fourth = _refuse(sim, 4)
    every = " ".join((first, second, third, fourth))

    assert first.startswith("The value for field 'Naam' (Nm) in object 'KnEmp' is longer than 5 characters. ")
    assert "1.234,50" in first and "1.234.567" in first  # Dutch amounts and numbers
    assert "1 mei 2024" in first and "01-05-24" in second  # long and short Dutch dates
    assert "jan.jansen@example.nl" in first and "1234 AB" in first and "NL91 ABNA 0417 1643 00" in first
    assert " 123 " in every and "000123" not in every  # leading zeros stripped
    assert "JAN O'BRIEN-JANSEN" in first  # upper-cased, spaces collapsed
    assert "Jan O&#39;Brien-Jansen" in second  # HTML-escaped
    assert "Jan O'Brie..." in fourth  # cut short
    assert "Medewerker Piet de Boer is uit dienst." in first  # another record's name
    assert "ESTHER VAN DER BERG" in second


def test_an_unknown_refusal_wording_is_refused() -> None:
    with pytest.raises(ValueError, match="refusals must be one of 'plain', 'afas-formatted'"):
        Simulator(rows=1, refusals="chatty")


def test_the_cli_serves_afas_formatted_refusals() -> None:
    command = [sys.executable, "-c", "from stkkr_tasks.cli.main import main; main()"]
    args = ["simulator", "--port", "0", "--rows", "5", "--refusals", "afas-formatted"]
    process = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, text=True, env=os.environ | {"COLUMNS": "200"}
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("AFAS simulator at ")
        token = process.stdout.readline().strip().removeprefix("token: ")
        body = {"KnContact": {"Element": {"Fields": {"NoSuchField": "2024-05-01"}}}}
        answer = httpx.post(
            f"{url}/connectors/KnContact", json=body, headers={"Authorization": token_header(token)}
        )
        assert "1 mei 2024" in assert_afas_error(answer, "NoSuchField")["externalMessage"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
