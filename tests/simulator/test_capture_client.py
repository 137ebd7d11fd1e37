"""Capturing a catalogue from a real environment's metainfo through `AfasClient` (here: another simulator)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from stkkr_tasks.cli import simulator as simulator_cli
from stkkr_tasks.simulator import Catalogue, Simulator
from stkkr_tasks.simulator.capture import catalogue_from_metainfo


@pytest.mark.anyio
async def test_capture_through_the_client_reads_metainfo_only(
    make_simulator: Callable[..., Simulator],
) -> None:
    from stkkr_tasks.afas import AfasClient

    source = make_simulator(rows=10)
    async with AfasClient(source.token, base_url=source.base_url) as client:
        catalogue = await catalogue_from_metainfo(client, update_connectors=["PtProject"])
    assert set(catalogue.get_connectors) == {
        "Profit_Projects",
        "Profit_OrgPer",
        "Profit_Contacts",
        "Bank_Statement_Lines",
    }
    assert set(catalogue.update_connectors) == {"PtProject"}
    assert all("/connectors/" not in r.path for r in source.requests), "no data is read"
    mirror = make_simulator(rows=10, catalogue=catalogue)
    for path in ("/metainfo/get/Profit_Projects", "/metainfo/update/PtProject"):
        answers = [
            httpx.get(f"{s.base_url}{path}", headers={"Authorization": s.auth_header})
            for s in (mirror, source)
        ]
        assert answers[0].json() == answers[1].json()


def test_capture_command_writes_a_catalogue(make_simulator: Callable[..., Simulator], tmp_path: Path) -> None:
    source = make_simulator(rows=3)
    out = tmp_path / "acme.yaml"
    args = [
        "simulator",
        "capture",
        "--base-url",
        source.base_url or "",
        "--out",
        str(out),
        "--get",
        "Profit_OrgPer",
    ]
    args += ["--update", "KnPerson"]
    app = typer.Typer()
    simulator_cli.register(app)
    result = CliRunner().invoke(app, args, env={"AFAS_TOKEN": source.token})
    assert result.exit_code == 0, result.output
    catalogue = Catalogue.load(out)
    assert list(catalogue.get_connectors) == ["Profit_OrgPer"] and list(catalogue.update_connectors) == [
        "KnPerson"
    ]
    assert source.token not in out.read_text() and source.token not in result.output
