"""A deployed stkkr retried through its flow parameters (`stkkr trigger NAME --retry`), run by `stkkr serve`.

`stkkr serve` runs in a subprocess on the Prefect test server; the simulator runs in the test process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
import typer
import yaml
from prefect import get_client
from prefect.exceptions import ObjectNotFound
from typer.testing import CliRunner

from blocks import AfasConnection
from stkkr_tasks.cli import trigger as trigger_cli
from stkkr_tasks.deploy import trigger
from stkkr_tasks.deploy.pollers import nobody_polls
from stkkr_tasks.simulator import Simulator
from tests.deploy.deploy_helpers import CONNECTION, eventually, start_serve, stkkr_document, stop_serve

ROWS = 12
NAME = "retried"


@pytest.fixture(scope="module")
def served(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """Serve one stkkr whose rows that are not chargeable AFAS refuses (ViAg only allows AFK, ...)."""
    root = tmp_path_factory.mktemp("served-retry") / "deployments"
    root.mkdir()
    transform = {
        "keys": {"@PrId": "{{ row.ProjectId }}"},
        "fields": {"ViAg": "{{ 'AFK' if row.Chargeable else 'XXX' }}"},
    }
    (root / f"{NAME}.yaml").write_text(yaml.safe_dump(stkkr_document(NAME, transform=transform)))
    simulator = Simulator(rows=ROWS, seed=1)
    with simulator.serve() as base_url:
        AfasConnection(base_url=base_url, token=simulator.token).save(CONNECTION, overwrite=True)
        process = start_serve(root, tmp_path_factory.mktemp("prefect-home"))
        try:
            with get_client(sync_client=True) as client:
                eventually(lambda: _deployed(client), "stkkr serve to register", 60)
            eventually(lambda: nobody_polls(NAME) is None, "stkkr serve to poll", 60)
            yield simulator
        finally:
            stop_serve(process)


def _deployed(client: Any) -> bool:
    try:
        client.read_deployment_by_name(f"{NAME}/{NAME}")
    except ObjectNotFound:
        return False
    return True


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
