"""The Prefect UI explains a stkkr run: checked in a real headless Chromium against a real Prefect server.

`prefect server start` (with its UI) runs for this module on a free loopback port with its own PREFECT_HOME;
Debian's chromium is driven by Playwright. Screenshots go to docs/ for the README. Without chromium or
Playwright the tests skip, unless STKKR_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, MakeSpec
from tests.prefect_events import prefect_api_at

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"
STARTUP_S = 90.0

PROJECTS = """
stkkr: {name}
tenant: acme
connection: {connection}
schedule: {{every: 1h}}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 100}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    PrSt: Afgesloten
    ViAg: "{{{{ 'AFK' if row.Chargeable else 'XXX' }}}}"
update: {{connector: PtProject, action: update}}
"""


@pytest.fixture
def stkkr_name() -> str:
    """A readable name for the screenshots (the module has a Prefect server of its own)."""
    return "close-projects"


def _browser_or_skip() -> Any:
    problem = None
    if not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "Playwright is not installed (pip install -e '.[dev]')"
    if problem is not None:
        if os.environ.get("STKKR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (STKKR_REQUIRE_BROWSER=1): {problem}")
        pytest.skip(f"browser tests skipped: {problem}")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    """Return once the server answers /api/health; fail when it exits or does not answer in time."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"prefect server start exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling an external process's readiness; nothing else to wait on
    pytest.fail(f"the Prefect server did not answer within {STARTUP_S} s")


@pytest.fixture(scope="module")
def ui_server() -> Iterator[str]:
    """A `prefect server start` with its UI for this module; the Prefect settings point at it meanwhile."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    _browser_or_skip()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="prefect-ui-home-") as home:
        env = {
            **os.environ,
            "PREFECT_HOME": home,
            "PREFECT_UI_API_URL": f"{url}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        env.pop("PREFECT_API_URL", None)
        command = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(url, server)
            with prefect_api_at(f"{url}/api", {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def _shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/ with STKKR_UPDATE_SCREENSHOTS=1 (for the README), else a temp dir."""
    return DOCS if os.environ.get("STKKR_UPDATE_SCREENSHOTS") == "1" else tmp_path


def test_the_flow_run_page_shows_name_summary_and_failed_rows(
    ui_server: str,
    simulator: Simulator,
    connect: Connect,
    make_spec: MakeSpec,
    stkkr_name: str,
    tmp_path: Path,
) -> None:
    summary = run_stkkr(make_spec(PROJECTS, connect(simulator)))
    assert summary.failed > 0
    api = f"{ui_server}/api"
    run_name = httpx.get(f"{api}/flow_runs/{summary.flow_run_id}").json()["name"]
    assert run_name.startswith(f"{stkkr_name} ")
    overview = httpx.post(
        f"{api}/artifacts/latest/filter", json={"artifacts": {"key": {"any_": ["stkkr-overview"]}}}
    )
    (overview_id,) = [item["latest_id"] for item in overview.json()]
    of_run = {"flow_run_id": {"any_": [summary.flow_run_id]}}
    artifacts = httpx.post(f"{api}/artifacts/filter", json={"artifacts": of_run}).json()
    artifact_ids = {item["key"]: item["id"] for item in artifacts}
    row_values = {v for row in simulator.rows("Profit_Projects") for v in row.values() if isinstance(v, str)}
    shots = _shots(tmp_path)

    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{ui_server}/runs/flow-run/{summary.flow_run_id}")
        page.get_by_text(run_name).first.wait_for(timeout=30_000)
        page.get_by_text("Artifacts", exact=True).first.click()
        page.get_by_text(f"stkkr-{stkkr_name}", exact=True).first.wait_for(timeout=30_000)
        page.get_by_text(f"failed-rows-{stkkr_name}", exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=str(shots / "ui-flow-run.png"))

        page.goto(f"{ui_server}/artifacts/artifact/{artifact_ids[f'stkkr-{stkkr_name}']}")
        page.get_by_text("filtered_out", exact=True).first.wait_for(timeout=30_000)
        assert f"failed {summary.failed}" in page.inner_text("body")

        page.goto(f"{ui_server}/artifacts/artifact/{artifact_ids[f'failed-rows-{stkkr_name}']}")
        page.get_by_text("row fingerprint").first.wait_for(timeout=30_000)
        failures = page.inner_text("body")
        assert f"{summary.failed} failed rows in this run of {stkkr_name}" in failures
        assert [v for v in row_values if len(v) >= 6 and v in failures] == []
        page.screenshot(path=str(shots / "ui-failed-rows.png"))

        page.goto(f"{ui_server}/artifacts/artifact/{overview_id}")
        page.get_by_text("failed in 24 h").first.wait_for(timeout=30_000)
        page.screenshot(path=str(shots / "ui-overview.png"))
        browser.close()
