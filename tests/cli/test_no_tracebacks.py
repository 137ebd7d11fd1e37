"""Every CLI command in its failure modes: a clear message and the documented exit status, never a traceback.

The real `stkkr` console script runs in a subprocess against the session's Prefect test server, so what is
checked is exactly what a user sees on stderr.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stkkr_tasks.localstack import free_port
from stkkr_tasks.simulator import Simulator

STKKR = str(Path(sys.executable).with_name("stkkr"))
ROOT = Path(__file__).resolve().parents[2]

RUN_FILE = """
stkkr: no-traceback-{kind}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  where: [{{field: ProjectId, op: "<=", value: "100003"}}]
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{{field}: Gereed}}
update: {{connector: PtProject, action: update}}
"""

Stkkr = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def api_url(prefect_server: None) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.fixture
def stkkr(api_url: str, stkkr_home: str) -> Stkkr:
    def run(*args: str, input: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "PREFECT_API_URL": api_url,
            "STKKR_HOME": stkkr_home,
            "STKKR_DEPLOYMENTS_DIR": str(ROOT / "deployments"),
            "COLUMNS": "200",
            **env,
        }
        return subprocess.run(
            [STKKR, *args],
            env=environment,
            input=input,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def connections(stkkr: Stkkr, simulator: Simulator) -> dict[str, str]:
    """A working connection to the simulator and one to a port where nothing listens."""
    closed = f"http://127.0.0.1:{free_port()}/ProfitRestServices"
    names = {"working": "nt-working", "unreachable": "nt-unreachable"}
    for name, url in (("nt-working", simulator.base_url), ("nt-unreachable", closed)):
        saved = stkkr(
            "connection", "set", name, "--base-url", url, "--token-file", "-", input=simulator.token
        )
        assert saved.returncode == 0, saved.stderr
    return names


def _file(tmp_path: Path, kind: str, connection: str, field: str = "PrSt") -> str:
    path = tmp_path / f"{kind}.yaml"
    path.write_text(RUN_FILE.format(kind=kind, connection=connection, field=field))
    return str(path)


def _assert_clean(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "Finished in state" not in result.stderr  # no Prefect chatter
    assert (result.stderr + result.stdout).strip(), "a failure says what is wrong"


Case = tuple[tuple[str, ...], dict[str, str], int]
"""A command's arguments, its extra environment and the exit status it must end with."""


def _assert_all_clean(stkkr: Stkkr, cases: list[Case]) -> None:
    """Run the cases side by side (independent processes, most of their time is start-up or waiting for a
    refused connection), then check each as `_assert_clean`."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: stkkr(*case[0], **case[1]), cases))
    for (args, _, code), result in zip(cases, results, strict=True):
        assert result.returncode == code, (args, result.stdout, result.stderr)
        _assert_clean(result, code)


def test_run_failure_modes(stkkr: Stkkr, connections: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("stkkr: Bad Name\n")
    cases: list[Case] = [
        (("run", str(tmp_path / "missing.yaml")), {}, 2),
        (("run", str(tmp_path / "bad.yaml")), {}, 2),
        (("run", _file(tmp_path, "unknown", "nt-nobody")), {}, 3),
        (("run", _file(tmp_path, "unreachable", connections["unreachable"])), {}, 3),
    ]
    _assert_all_clean(stkkr, cases)


def test_run_prints_online_problems_once_as_file_line(
    stkkr: Stkkr, connections: dict[str, str], tmp_path: Path
) -> None:
    path = _file(tmp_path, "mismatch", connections["working"], field="PrStX")

    result = stkkr("run", path)

    _assert_clean(result, 2)
    lines = [line for line in result.stderr.splitlines() if "PrStX" in line]
    assert len(lines) == 1 and lines[0].startswith(f"{path}:10: transform.fields.PrStX:")
    assert result.stdout == ""


def test_other_commands_failure_modes(stkkr: Stkkr, busy_port: int, tmp_path: Path) -> None:
    closed = free_port()
    cases: list[Case] = [
        (("connection", "test", "nt-nobody"), {}, 2),
        (("connection", "set", "Bad Name", "--base-url", "http://x"), {}, 2),
        (("trigger", "nt-nobody"), {}, 4),
        (("errors", "show", "987654321"), {}, 1),
        (("validate", str(tmp_path / "missing.yaml")), {}, 2),
        (("deploy", str(tmp_path / "missing")), {}, 2),
        (("retention", "--days", "31"), {}, 2),
        (("simulator", "--port", str(busy_port)), {}, 2),
        (("simulator", "capture", "--connection", "nt-nobody", "--out", str(tmp_path / "c.yaml")), {}, 2),
        (
            ("simulator", "capture", "--base-url", f"http://127.0.0.1:{closed}/ProfitRestServices"),
            {"AFAS_TOKEN": "ab" * 32},
            2,  # --out is missing: a usage error first
        ),
        (
            (
                "simulator",
                "capture",
                "--base-url",
                f"http://127.0.0.1:{closed}/ProfitRestServices",
                "--out",
                "x.yaml",
            ),
            {"AFAS_TOKEN": "ab" * 32},
            1,
        ),
        (("history",), {"PREFECT_API_URL": f"http://127.0.0.1:{closed}/api"}, 1),
        (("up", "--simulator-port", str(busy_port)), {}, 1),
    ]
    _assert_all_clean(stkkr, cases)
