"""End to end: stkkr files run as Prefect flows against the simulator — each action, where, filter, transform.

One flow run per test; the heavier checks of the Prefect side (tags, artifact, state message, task-run
count) ride along on the first one.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, ErrorRecords, MakeSpec
from tests.prefect_events import recorded_task_runs

pytestmark = pytest.mark.usefixtures("prefect_server")

UPDATE = """
stkkr: {name}
tenant: acme
connection: {connection}
get:
  connector: Profit_Projects
  where:
    - {{field: Blocked, op: "=", value: false}}
  order_by: [ProjectId]
  page_size: 50
filter: "row.HoursBooked >= row.HoursBudget"
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    ChOu: true
    DtGw: "{{{{ today }}}}"
update: {{connector: PtProject, action: update}}
"""


async def _prefect_side(flow_run_id: str, key: str, min_task_runs: int) -> tuple[Any, list[Any], Any]:
    """The flow run, its task runs (once the server recorded at least `min_task_runs`), and the artifact."""
    async with get_client() as client:
        flow_run = await client.read_flow_run(uuid.UUID(flow_run_id))
        run_filter = FlowRunFilter(id=FlowRunFilterId(any_=[uuid.UUID(flow_run_id)]))
        task_runs = await recorded_task_runs(client, run_filter, at_least=min_task_runs)
        by_key = ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        artifacts = await client.read_artifacts(artifact_filter=by_key)
    return flow_run, task_runs, artifacts[0] if artifacts else None


def test_update_with_filter_expression(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    rows = [r for r in simulator.rows("Profit_Projects") if not r["Blocked"]]
    kept = {r["ProjectId"] for r in rows if r["HoursBooked"] >= r["HoursBudget"]}
    assert 0 < len(kept) < len(rows)

    summary = run_stkkr(make_spec(UPDATE, connect(simulator)))

    assert (summary.state, summary.read, summary.written) == ("Completed", len(rows), len(kept))
    assert summary.failed == 0
    assert summary.filtered_out == len(rows) - len(kept)
    puts = [w for w in simulator.writes if w.method == "PUT"]
    assert {w.sent["PtProject"]["Element"]["@PrId"] for w in puts} == kept
    assert all(r["CheckedOut"] for r in simulator.rows("Profit_Projects") if r["ProjectId"] in kept)

    pages = math.ceil(len(rows) / 50)
    flow_run, task_runs, artifact = asyncio.run(
        _prefect_side(summary.flow_run_id, f"stkkr-{stkkr_name}", 4 * pages)
    )
    assert flow_run.name and flow_run.state.is_completed()
    assert flow_run.state.message == summary.message
    assert {f"stkkr:{stkkr_name}", "tenant:acme"} <= set(flow_run.tags)
    assert not any(t.tags for t in task_runs), "a tagged task run costs a concurrency-slot call to the server"
    assert 4 * pages <= len(task_runs) <= 4 * pages + 2, "task runs grow with pages, not rows"
    assert {t.name.rsplit("-", 1)[0] for t in task_runs} == {
        "Get page",
        "Filter rows",
        "Transform rows",
        "Update records",
    }
    assert artifact is not None and artifact.type == "table"
    (fields,) = json.loads(artifact.data)  # one row, the summary's fields by name
    assert fields["written"] == len(kept) and fields["dry_run"] is False
    assert not any(project in str(artifact.data) for project in kept), "the artifact holds counts only"


def test_pages_hand_the_write_slots_over_in_order(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    rows = [r for r in simulator.rows("Profit_Projects") if not r["Blocked"]]
    in_order = sorted(rows, key=lambda r: r["ProjectId"])
    page_of = {r["ProjectId"]: index // 50 for index, r in enumerate(in_order)}
    assert max(page_of.values()) >= 2

    summary = run_stkkr(
        make_spec(UPDATE.replace("row.HoursBooked >= row.HoursBudget", "true"), connect(simulator))
    )

    assert (summary.state, summary.written) == ("Completed", len(rows))
    order = [page_of[w.sent["PtProject"]["Element"]["@PrId"]] for w in simulator.writes if w.method == "PUT"]
    for page in range(max(order)):
        next_starts = order.index(page + 1)
        late = order[next_starts:].count(page)
        assert late <= 8, f"page {page}: {late} writes after page {page + 1} started (8 may be in flight)"


def test_insert_with_nested_objects_and_helpers(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    before = simulator.rows("Profit_OrgPer")
    sources = [r for r in before if r["Type"] == "O" and r["BcCo"] <= "100020"]
    spec = make_spec(
        """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_OrgPer
  where:
    - {{field: Type, op: "=", value: "O"}}
  order_by: [BcCo]
filter: "row.BcCo <= '100020'"
transform:
  fields:
    MatchOga: "6"
    Nm: "{{{{ upper(row.Name) }}}}"
  objects:
    KnBasicAddressAdr:
      fields: {{CoId: NL, Ad: "{{{{ concat('Nieuwe', 'straat', sep=' ') }}}}", HmNr: 7, Rs: Utrecht}}
update: {{connector: KnOrganisation, action: insert}}
""",
        connect(simulator),
    )

    summary = run_stkkr(spec)

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(sources), 0)
    after = simulator.rows("Profit_OrgPer")
    added = [r for r in after if r["BcCo"] not in {b["BcCo"] for b in before}]
    assert sorted(r["Name"] for r in added) == sorted(r["Name"].upper() for r in sources)
    assert {r["AdressLine1"] for r in added} == {"Nieuwe straat 7"}
    posts = [w for w in simulator.writes if w.method == "POST"]
    assert len(posts) == len(sources)
    assert "KnBasicAddressAdr" in str(posts[0].sent["KnOrganisation"]["Element"]["Objects"])


def test_delete(simulator: Simulator, connect: Connect, make_spec: MakeSpec) -> None:
    blocked = {r["ContactId"] for r in simulator.rows("Profit_Contacts") if r["Blocked"]}
    assert blocked
    spec = make_spec(
        """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Contacts
  where:
    - {{field: Blocked, op: "=", value: true}}
  order_by: [ContactId]
transform:
  keys: {{CdId: "{{{{ row.ContactId }}}}"}}
update: {{connector: KnContact, action: delete}}
""",
        connect(simulator),
    )

    summary = run_stkkr(spec)

    assert (summary.state, summary.read, summary.written) == ("Completed", len(blocked), len(blocked))
    assert summary.failed == 0
    assert not blocked & {r["ContactId"] for r in simulator.rows("Profit_Contacts")}
    assert {w.method for w in simulator.writes} == {"DELETE"}


def test_where_with_or_groups_in_a_dry_run_writes_nothing(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    expected = [
        r
        for r in simulator.rows("Profit_Projects")
        if r["Status"] == "Gereed" or (r["Status"] == "Vervallen" and not r["Blocked"])
    ]
    spec = make_spec(
        """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  where:
    - any:
        - {{field: Status, op: "=", value: Gereed}}
        - [{{field: Status, op: "=", value: Vervallen}}, {{field: Blocked, op: "=", value: false}}]
  order_by: [ProjectId]
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{PrSt: Afgesloten, ViAg: "{{{{ 'XXX' if row.Status == 'Vervallen' else 'AFK' }}}}"}}
update: {{connector: PtProject, action: update}}
""",
        connect(simulator),
    )
    previews: list[dict[str, Any]] = []

    summary = run_stkkr(spec, dry_run=True, on_preview=previews.append)

    refused = [r for r in expected if r["Status"] == "Vervallen"]  # 'XXX' is no allowed value of ViAg
    kept = [r for r in expected if r["Status"] != "Vervallen"]
    assert 0 < len(refused) <= 5
    assert (summary.state, summary.dry_run, summary.read) == ("Completed", True, len(expected))
    assert (summary.written, summary.would_write, summary.failed) == (0, len(kept), len(refused))
    assert simulator.writes == [], "a dry run sends nothing"
    assert error_records(stkkr_name) == []
    elements = [preview for preview in previews if "PtProject" in preview]
    would_fail = [preview["would_fail"] for preview in previews if "would_fail" in preview]
    assert len(elements) == 5
    assert elements[0]["PtProject"]["Element"]["@PrId"] == kept[0]["ProjectId"]
    assert len(would_fail) == len(refused)  # the metainfo check tells a dry run what AFAS would refuse
    assert all(f["stage"] == "update" and "field 'ViAg'" in f["message"] for f in would_fail)
    assert "nothing was written" in summary.message


def test_rows_that_leave_the_where_set_do_not_push_others_off_the_next_page(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    pending = [r for r in simulator.rows("Profit_Projects") if not r["CheckedOut"]]
    assert len(pending) > 100, "several pages of rows the run takes out of its own `where`"
    checked_out = UPDATE.replace("field: Blocked", "field: CheckedOut")
    spec = make_spec(checked_out.replace("row.HoursBooked >= row.HoursBudget", "true"), connect(simulator))

    summary = run_stkkr(spec)

    assert (summary.state, summary.read, summary.written) == ("Completed", len(pending), len(pending))
    assert not [r for r in simulator.rows("Profit_Projects") if not r["CheckedOut"]]
