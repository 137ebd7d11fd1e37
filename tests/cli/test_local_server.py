"""Without PREFECT_API_URL every `stkkr` command uses one persistent local Prefect server under $STKKR_HOME.

These tests run the real `stkkr` console script in subprocesses with a home of their own, so they start (once,
for the module) and stop a real local server; the session's test server is not involved.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stkkr_tasks.localstack import free_port

STKKR = str(Path(sys.executable).with_name("stkkr"))

RUN_FILE = """
stkkr: local-server-run
connection: sim
get:
  connector: Profit_Projects
  where: [{field: ProjectId, op: "<=", value: "100010"}]
  order_by: [ProjectId]
transform:
  keys: {"@PrId": "{{ row.ProjectId }}"}
  fields: {ViAg: AFK}
update: {connector: PtProject, action: update}
"""

Stkkr = Callable[..., subprocess.CompletedProcess[str]]
PREFECT_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| [A-Z]+ +\|", re.MULTILINE)
"""A line of Prefect's console log, e.g. `12:00:00.000 | INFO    | Flow run 'x' - Finished in state …`."""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-server-home")


@pytest.fixture(scope="module")
def stkkr(home: Path) -> Iterator[Stkkr]:
    """Run `stkkr ARGS` with this module's STKKR_HOME and no Prefect API configured; stop the server after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "PREFECT_LOGGING"))}
    env.update(
        STKKR_HOME=str(home),
        PREFECT_HOME=str(home / "client-prefect-home"),
        STKKR_SERVER_PORT=str(free_port()),
        PREFECT_PROFILES_PATH=str(home / "profiles.toml"),
        COLUMNS="200",
    )

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [STKKR, *args], env=env, input=input, capture_output=True, text=True, timeout=300, check=False
        )

    yield run
    run("server", "stop")


def _server_pid(home: Path) -> int:
    return int(json.loads((home / "server.json").read_text())["pid"])


def test_commands_share_one_local_server_and_a_run_finds_the_connection_set_before(
    stkkr: Stkkr, home: Path, simulator: Any, tmp_path: Path
) -> None:
    assert stkkr("server", "status").returncode == 1

    saved = stkkr("connection", "set", "sim", "--base-url", simulator.base_url, input=simulator.token)

    assert saved.returncode == 0, saved.stderr
    assert "Prefect: local server http://127.0.0.1:" in saved.stderr
    assert str(home / "prefect") in saved.stderr
    key_file = home / "prefect-encryption.key"
    assert f"{key_file} (mode 0600)" in saved.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pid = _server_pid(home)

    stkkr_file = tmp_path / "run.yaml"
    stkkr_file.write_text(RUN_FILE)
    ran = stkkr("run", str(stkkr_file), "--json")

    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["written"] == 10
    assert _server_pid(home) == pid  # reused, not started again
    assert "Starting" not in ran.stderr and "Traceback" not in ran.stderr
    status = stkkr("server", "status")
    assert status.returncode == 0 and f"pid {pid}" in status.stdout


def test_run_and_connection_set_print_no_prefect_log_lines_unless_verbose(
    stkkr: Stkkr, simulator: Any, tmp_path: Path
) -> None:
    stkkr_file = tmp_path / "run.yaml"
    stkkr_file.write_text(RUN_FILE)

    saved = stkkr("connection", "set", "sim", "--base-url", simulator.base_url, input=simulator.token)
    ran = stkkr("run", str(stkkr_file))
    verbose = stkkr("-v", "run", str(stkkr_file))

    assert [saved.returncode, ran.returncode, verbose.returncode] == [0, 0, 0], ran.stderr
    for quiet in (saved, ran):
        assert not PREFECT_LOG_LINE.search(quiet.stdout + quiet.stderr), quiet.stdout + quiet.stderr
    assert "Finished in state Completed" in verbose.stdout + verbose.stderr
    assert PREFECT_LOG_LINE.search(verbose.stdout + verbose.stderr), "-v shows them, so the check sees them"


def test_the_server_keeps_its_block_key_out_of_its_database(stkkr: Stkkr, home: Path) -> None:
    assert stkkr("server", "start").returncode == 0

    with sqlite3.connect(home / "prefect" / "prefect.db") as db:
        stored = db.execute("SELECT count(*) FROM configuration WHERE key = 'ENCRYPTION_KEY'").fetchone()[0]
    assert stored == 0
    checked = stkkr("doctor")
    assert "ok: the local Prefect server's block key is in" in checked.stdout


def test_server_stop_stops_it_and_the_next_command_starts_it_again(stkkr: Stkkr, home: Path) -> None:
    assert stkkr("server", "start").returncode == 0
    pid = _server_pid(home)

    stopped = stkkr("server", "stop")

    assert stopped.returncode == 0 and "Stopped the local Prefect server" in stopped.stdout
    assert stkkr("server", "status").returncode == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
