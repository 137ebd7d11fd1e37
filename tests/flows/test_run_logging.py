"""A stkkr run keeps row keys out of httpx's request log by itself: nothing else has to set logging up."""

from __future__ import annotations

import logging

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

PROJECTS = """
stkkr: {name}
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 20}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{PrSt: Afgesloten}}
update: {{connector: PtProject, action: update}}
"""


def test_a_run_hides_the_keys_in_page_urls_from_httpx_log(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_logger = logging.getLogger("httpx")
    for installed in [f for f in httpx_logger.filters if type(f).__name__ == "_HideRowValues"]:
        httpx_logger.removeFilter(installed)
    caplog.set_level(logging.INFO, logger="httpx")

    summary = run_stkkr(make_spec(PROJECTS, connect(simulator)))

    assert summary.state == "Completed" and summary.read == 200
    pages = [r.getMessage() for r in caplog.records if "/connectors/Profit_Projects" in r.getMessage()]
    assert len(pages) > 2
    assert all("filtervalues" not in line and "filterjson" not in line for line in pages)
    assert any("?…" in line for line in pages)
