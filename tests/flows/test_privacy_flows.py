"""The flows `dsr-deadlines` and `purge-inactive-customers` on the Prefect test server, injected clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.states import State

from flows.dsr_deadlines import ARTIFACT_KEY, dsr_deadlines
from flows.purge import purge_inactive_customers
from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore, dsr
from stkkr_tasks.tenants.purge import months_before
from tests.deploy.deploy_helpers import stkkr_document
from tests.tenants.conftest import add_run_once_keys, run_once_fingerprints

pytestmark = pytest.mark.anyio
RECEIVED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday: due Monday 14 December
SUBJECT = "jan@acme.example"


async def _result(state: State[Any]) -> Any:
    """The result of a flow's final state (Prefect types that of a flow returning a State as a State)."""
    return await state.aresult(raise_on_failure=False)


@pytest.fixture
async def tenants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> AsyncIterator[TenantStore]:
    """The stkkr database the flows use (STKKR_DATABASE_URL) and a deployments directory with acme's stkkr."""
    url = f"sqlite:///{tmp_path / 'stkkr.db'}"
    monkeypatch.setenv("STKKR_DATABASE_URL", url)
    monkeypatch.setenv("STKKR_FINGERPRINT_KEY", "test-fingerprint-key")
    root = tmp_path / "deployments"
    root.mkdir()
    (root / "acme-sync.yaml").write_text(yaml.safe_dump(stkkr_document("acme-sync", tenant="acme")))
    monkeypatch.setenv("STKKR_DEPLOYMENTS_DIR", str(root))
    async with ErrorStore(url) as store:
        yield TenantStore(store)


@pytest.mark.parametrize(
    ("today", "failed", "overdue", "due"),
    [
        (datetime(2026, 12, 10, 7, 0, tzinfo=UTC), False, 0, 0),  # Thursday: due Monday
        (datetime(2026, 12, 13, 7, 0, tzinfo=UTC), True, 0, 1),  # Sunday: due tomorrow
        (datetime(2026, 12, 15, 7, 0, tzinfo=UTC), True, 1, 0),  # Tuesday: overdue
    ],
)
async def test_dsr_deadlines_fails_when_a_request_is_due_tomorrow_or_overdue(
    tenants: TenantStore, today: datetime, failed: bool, overdue: int, due: int
) -> None:
    await tenants.add_tenant("acme")
    await dsr.open_request(tenants, "acme", "access", SUBJECT, now=RECEIVED)
    state = await dsr_deadlines(now=today, return_state=True)
    assert state.is_failed() is failed and state.message is not None
    assert state.message.startswith(f"{overdue} data-subject request(s) overdue, {due} due by")
    assert SUBJECT not in state.message and "acme" not in state.message  # counts only
    assert await _result(state) == {
        "open": 1,
        "overdue": overdue,
        "due_by_tomorrow": due,
    }
    async with get_client() as client:
        by_run = ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
        (artifact,) = await client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=by_run))
    assert (artifact.key, artifact.type, artifact.description) == (ARTIFACT_KEY, "table", state.message)
    assert json.loads(str(artifact.data)) == [
        {"requests": "open", "count": 1},
        {"requests": "overdue", "count": overdue},
        {"requests": "due by tomorrow", "count": due},
    ]


async def test_dsr_deadlines_passes_when_every_request_is_closed(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme")
    request = await dsr.open_request(tenants, "acme", "erase", SUBJECT, now=RECEIVED)
    await dsr.close_request(tenants, request.id, now=RECEIVED)
    state = await dsr_deadlines(now=datetime(2027, 1, 1, tzinfo=UTC), return_state=True)
    assert state.is_completed()


async def test_purge_flow_removes_personal_data_and_the_tenants_fingerprints(tenants: TenantStore) -> None:
    now = datetime(2030, 3, 1, 3, 0, tzinfo=UTC)
    await tenants.add_tenant("acme", contact_name="Jan", contact_email=SUBJECT)
    inactive_since = datetime.combine(months_before(now.date(), 37), now.timetz())
    await tenants.set_tenant("acme", {}, by_customer=True, now=inactive_since)
    await add_run_once_keys(tenants.store, "acme-sync", ["fp"])
    dry = await purge_inactive_customers(now=now, dry_run=True, return_state=True)
    assert dry.message is not None and dry.message.startswith(
        "Would purge 1 customer(s) inactive for 36 months"
    )
    assert (await tenants.get_tenant("acme")).contact_name == "Jan"
    state = await purge_inactive_customers(now=now, return_state=True)
    counts = await _result(state)
    assert state.message is not None
    assert (counts["tenants"], counts["contact_persons"], counts["fingerprints"]) == (1, 1, 1)
    assert SUBJECT not in state.message and "Jan" not in state.message
    assert (await tenants.get_tenant("acme")).contact_email is None
    assert await run_once_fingerprints(tenants.store, "acme-sync") == set()


async def test_purge_flow_refuses_a_longer_period(tenants: TenantStore) -> None:
    state = await purge_inactive_customers(months=48, return_state=True)
    assert state.is_failed() and "48 months is refused" in str(state.message)
