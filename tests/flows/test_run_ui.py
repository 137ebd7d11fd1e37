"""What the Prefect UI shows of a run: its name, the failed-rows artifact (meta only) and the overview."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from stkkr_tasks.deploy.overview import KEY as OVERVIEW_KEY
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.run.artifacts import failure_key, prune_failure_artifacts
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

# Rows that are not chargeable get a key no project has: AFAS refuses them (a rule no metainfo tells).
PROJECTS = """
stkkr: {name}
tenant: initech
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 100}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId if row.Chargeable else 'X' ~ row.ProjectId }}}}"}}
  fields:
    PrSt: Afgesloten
    ViAg: AFK
update: {{connector: PtProject, action: update}}
"""


def _query(coro_fn: Any) -> Any:
    async def go() -> Any:
        async with get_client() as client:
            return await coro_fn(client)

    return asyncio.run(go())


def _artifacts(client: Any, key: str, flow_run_id: str | None = None) -> Any:
    run_filter = ArtifactFilterFlowRunId(any_=[flow_run_id]) if flow_run_id else None
    return client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]), flow_run_id=run_filter)
    )


def test_runs_are_named_after_the_stkkr_and_the_time(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    spec = make_spec(PROJECTS, connect(simulator))
    real = run_stkkr(spec)
    dry = run_stkkr(spec, dry_run=True)

    real_run = _query(lambda c: c.read_flow_run(real.flow_run_id))
    dry_run = _query(lambda c: c.read_flow_run(dry.flow_run_id))
    assert re.fullmatch(rf"{stkkr_name} \d{{4}}-\d\d-\d\d \d\d:\d\d", real_run.name)
    assert re.fullmatch(rf"{stkkr_name} \d{{4}}-\d\d-\d\d \d\d:\d\d \(dry run\)", dry_run.name)


def test_a_run_with_failed_rows_lists_their_meta_information_never_values(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str, error_records: ErrorRecords
) -> None:
    summary = run_stkkr(make_spec(PROJECTS, connect(simulator)))
    assert summary.failed > 0

    (artifact,) = _query(lambda c: _artifacts(c, failure_key(stkkr_name), summary.flow_run_id))
    text = str(artifact.data)
    assert artifact.type == "markdown"
    assert f"{summary.failed} failed rows" in text
    assert (
        "| record | stage | HTTP status | AFAS error | log reference | message (template) | row fingerprint |"
        in text
    )
    records = error_records(stkkr_name)
    assert all(f"| {r.id} | update | 500 |" in text for r in records[:50])
    assert all(f"`{r.row_key[:16]}`" in text for r in records[:50])
    assert simulator.token not in text
    values = {v for row in simulator.rows("Profit_Projects") for v in row.values() if isinstance(v, str)}
    # Fingerprints, log references and ids are random hex: a six-digit value may turn up inside one by chance.
    meta_free = re.sub(r"[0-9a-fA-F]{12,}|[0-9a-fA-F-]{36}", "", text)
    assert [v for v in values if len(v) >= 6 and v in meta_free] == []


def test_a_clean_run_has_no_failed_rows_artifact(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    text = PROJECTS.replace("row.ProjectId if row.Chargeable else 'X' ~ row.ProjectId", "row.ProjectId")
    summary = run_stkkr(make_spec(text, connect(simulator)))
    assert summary.ok
    assert _query(lambda c: _artifacts(c, failure_key(stkkr_name))) == []


def test_the_overview_lists_every_stkkr_with_its_last_run(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    summary = run_stkkr(make_spec(PROJECTS, connect(simulator)))

    (artifact,) = _query(lambda c: _artifacts(c, OVERVIEW_KEY, summary.flow_run_id))
    line = next(row for row in str(artifact.data).splitlines() if row.startswith(f"| {stkkr_name} |"))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[1:3] == ["initech", "not deployed"]
    assert cells[4:8] == ["Completed", str(summary.read), str(summary.written), str(summary.failed)]
    assert cells[8] == str(summary.failed), "failed rows of the last 24 hours"


def test_retention_deletes_failed_rows_artifacts_past_the_period(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    run_stkkr(make_spec(PROJECTS, connect(simulator)))
    now = datetime.now(UTC)

    assert _query(lambda c: prune_failure_artifacts(c, now - timedelta(days=30))) == 0, "young ones stay"
    future = now + timedelta(minutes=1)
    counted = _query(lambda c: prune_failure_artifacts(c, future, dry_run=True))
    assert counted >= 1
    assert _query(lambda c: prune_failure_artifacts(c, future)) == counted
    assert _query(lambda c: _artifacts(c, failure_key(stkkr_name))) == []
