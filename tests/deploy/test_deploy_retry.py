"""A deployed stkkr retried through its flow parameters (`stkkr trigger NAME --retry`), run by `stkkr serve`.

`stkkr serve` runs in a subprocess on the Prefect test server; the simulator runs in the test process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import UUID

import pytest
import typer
from prefect import get_client
from typer.testing import CliRunner

from stkkr_tasks.cli import trigger as trigger_cli
from stkkr_tasks.deploy import trigger
from stkkr_tasks.simulator import Simulator
from tests.deploy.deploy_helpers import serving_one, stkkr_document

ROWS = 12
NAME = "retried"


@pytest.fixture(scope="module")
def served(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """Serve one stkkr whose rows that are not chargeable AFAS refuses (ViAg only allows AFK, ...)."""
    transform = {
        "keys": {"@PrId": "{{ row.ProjectId }}"},
        "fields": {"ViAg": "{{ 'AFK' if row.Chargeable else 'XXX' }}"},
    }
    with serving_one(stkkr_document(NAME, transform=transform), ROWS, tmp_path_factory) as simulator:
        yield simulator


def test_a_triggered_retry_runs_only_the_failed_rows_and_is_named_so(served: Simulator) -> None:
    refused = sum(1 for row in served.rows("Profit_Projects") if not row["Chargeable"])
    first = trigger(NAME, timeout=180)
    served.clear_log()

    retry = trigger(NAME, timeout=180, retry=True, retry_since="1h")

    assert (first.written, first.failed) == (ROWS - refused, refused) and refused > 0
    assert retry.retry and (retry.read, retry.written, retry.failed) == (ROWS, 0, refused)
    assert retry.not_retried == ROWS - refused and served.writes == []
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(retry.flow_run_id))
    assert flow_run.parameters == {"stkkr": NAME, "retry": True, "retry_since": "1h"}
    assert flow_run.name.endswith(" (retry)")


def test_stkkr_trigger_retry_prints_the_retry_and_refuses_since_alone(served: Simulator) -> None:
    app = typer.Typer()
    trigger_cli.register(app)

    given = CliRunner().invoke(app, ["trigger", NAME, "--retry", "--json", "--timeout", "180"])
    alone = CliRunner().invoke(app, ["trigger", NAME, "--since", "7d"])

    assert given.exit_code == 1, given.output  # the refused rows fail again
    document = json.loads(given.stdout)
    assert document["retry"] is True and document["written"] == 0 and document["failed"] > 0
    assert alone.exit_code == 2 and "--since goes with --retry" in alone.output
