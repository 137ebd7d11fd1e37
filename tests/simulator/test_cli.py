"""`stkkr simulator` serves until interrupted; `stkkr simulator capture` writes a catalogue from metainfo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import typer
from typer.testing import CliRunner

from stkkr_tasks.afas.auth import token_header
from stkkr_tasks.cli import simulator as simulator_cli


def _app() -> typer.Typer:
    app = typer.Typer()
    simulator_cli.register(app)
    return app


def test_serve_prints_url_and_token_and_stops_on_ctrl_c() -> None:
    command = [sys.executable, "-c", "from stkkr_tasks.cli.main import main; main()"]
    args = ["simulator", "--port", "0", "--rows", "5", "--seed", "3", "--latency-ms", "1"]
    process = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, text=True, env=os.environ | {"COLUMNS": "200"}
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("AFAS simulator at ")
        token = process.stdout.readline().strip().removeprefix("token: ")
        response = httpx.get(
            f"{url}/connectors/Profit_Projects", headers={"Authorization": token_header(token)}
        )
        assert response.status_code == 200 and len(response.json()["rows"]) == 5
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_serve_with_invalid_catalogue_fails_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("get_connectors: {X: {fields: []}}\n")
    result = CliRunner().invoke(_app(), ["simulator", "--catalogue", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "get_connectors.X.fields" in result.output
