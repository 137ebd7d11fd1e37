"""The local server's encryption key file and the lock that keeps `stkkr up` and `stkkr demo` apart."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rich.console import Console

from stkkr_tasks import localserver
from stkkr_tasks.demo import DemoError, run_demo
from stkkr_tasks.localstack import LocalStackError

EXAMPLES = Path(__file__).resolve().parents[2] / "deployments" / "examples"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STKKR_HOME", str(tmp_path))
    monkeypatch.delenv("STKKR_SERVER_KEY_FILE", raising=False)
    return tmp_path


def test_the_key_file_is_created_once_with_mode_0600(home: Path) -> None:
    first = localserver.encryption_key()
    again = localserver.encryption_key()

    assert first.created and not again.created
    assert first.value == again.value
    Fernet(first.value.encode())
    assert first.path == home / "prefect-encryption.key"
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600


def test_a_database_that_holds_its_own_key_gives_it_to_the_key_file(home: Path) -> None:
    (home / "prefect").mkdir()
    old_key = Fernet.generate_key().decode()
    with sqlite3.connect(home / "prefect" / "prefect.db") as db:
        db.execute("CREATE TABLE configuration (key TEXT, value TEXT)")
        db.execute(
            "INSERT INTO configuration VALUES ('ENCRYPTION_KEY', ?)", (json.dumps({"fernet_key": old_key}),)
        )

    key = localserver.encryption_key()

    assert key.value == old_key  # blocks encrypted before stay readable
    assert localserver.database_key() is None  # and the database no longer holds their key


def test_the_key_file_can_live_elsewhere(
    home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("vault") / "server.key"
    monkeypatch.setenv("STKKR_SERVER_KEY_FILE", str(elsewhere))

    assert localserver.encryption_key().path == elsewhere and elsewhere.exists()


def test_a_demo_while_up_runs_is_refused_in_one_line(home: Path) -> None:
    with localserver.stack_lock("up"), pytest.raises(DemoError) as refused:
        run_demo(console=Console(file=io.StringIO()), examples=EXAMPLES)

    assert "`stkkr up`" in str(refused.value) and "stop it first" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_second_up_is_refused(home: Path) -> None:
    with (
        localserver.stack_lock("up"),
        pytest.raises(LocalStackError, match="is running on"),
        localserver.stack_lock("up"),
    ):
        pass
