"""Output that survives pipes and CI logs: without a terminal, tables print full values on one line each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from stkkr_tasks.cli import trigger

STKKR = str(Path(sys.executable).with_name("stkkr"))


@pytest.mark.usefixtures("prefect_server")
def test_history_without_a_terminal_keeps_full_column_names() -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    trigger.register(app)

    result = CliRunner().invoke(app, ["history"], env={"COLUMNS": None})

    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "started" in line)
    for column in (
        "started",
        "stkkr",
        "state",
        "duration (s)",
        "filtered out",
        "skipped",
        "written",
        "failed",
    ):
        assert column in header
    assert "…" not in result.output


def _stkkr(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return subprocess.run([STKKR, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_help_has_no_type_noise_and_needs_no_server() -> None:
    for command in (["run"], ["trigger"], ["errors", "list"], ["consent", "set"], ["deploy"]):
        result = _stkkr(*command, "--help")

        assert result.returncode == 0, result.stderr
        assert "<bool>" not in result.stdout and "--help" in result.stdout
        assert "Prefect:" not in result.stderr  # help starts no server


def test_version() -> None:
    result = _stkkr("--version")

    assert result.returncode == 0 and result.stdout.startswith("stkkr ")
