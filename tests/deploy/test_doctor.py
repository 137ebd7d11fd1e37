"""`stkkr doctor`: warnings about keys and a SQLite stkkr database behind a work pool."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from cryptography.fernet import Fernet
from typer.testing import CliRunner, Result

from stkkr_tasks.cli import doctor
from stkkr_tasks.deploy import deploy

pytestmark = pytest.mark.usefixtures("prefect_server")


def _doctor() -> Result:
    app = typer.Typer()
    app.callback()(lambda: None)
    doctor.register(app)
    return CliRunner().invoke(app, ["doctor"], env={"COLUMNS": "300"})


def test_doctor_warns_about_sqlite_behind_a_work_pool_and_missing_keys(
    write_stkkr: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STKKR_FINGERPRINT_KEY", "a-test-key")
    monkeypatch.setenv("STKKR_PAYLOAD_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("STKKR_DATABASE_URL", raising=False)
    write_stkkr("doctor-pooled")
    deploy(work_pool="stkkr-test", retention=False)

    result = _doctor()

    assert result.exit_code == 1
    text = " ".join(result.output.split())  # other tests' deployments may come first in the list
    assert "warning: the stkkr database is a SQLite file" in text and "deployed to a work pool" in text
    assert "ok: the fingerprint key is set" in result.output and "ok: the payload key is set" in result.output

    monkeypatch.delenv("STKKR_PAYLOAD_KEY")
    monkeypatch.setenv("STKKR_DATABASE_URL", "postgresql://stkkr@127.0.0.1/stkkr")
    result = _doctor()
    assert "ok: the stkkr database is not SQLite" in result.output
    if "no payload key" in result.output:  # unless another test saved the Secret block
        assert result.exit_code == 1
