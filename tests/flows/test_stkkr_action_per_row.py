"""End to end: `update.action` as an expression chooses insert, update or delete per row."""

from __future__ import annotations

from collections import Counter

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

PER_ROW = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  page_size: 40
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{Ds: "{{{{ row.Description }}}}", PrGp: "{{{{ row.ProjectGroup }}}}"}}
update:
  connector: PtProject
  action: >-
    {{{{ 'archive' if row.Status == 'Vervallen' else 'delete' if row.Blocked
    else 'update' if row.Status == 'Lopend' else 'insert' }}}}
"""


def _expected(row: dict) -> str:
    if row["Status"] == "Vervallen":
        return "archive"
    if row["Blocked"]:
        return "delete"
    return "update" if row["Status"] == "Lopend" else "insert"


def test_each_row_goes_out_with_its_own_method_and_the_summary_counts_per_action(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    rows = simulator.rows("Profit_Projects")
    expected = Counter(_expected(row) for row in rows)
    assert all(expected[action] for action in ("archive", "delete", "update", "insert"))

    summary = run_stkkr(make_spec(PER_ROW, connect(simulator)))

    methods = Counter(write.method for write in simulator.writes)
    assert methods == {"PUT": expected["update"], "DELETE": expected["delete"]}
    assert (summary.updated, summary.deleted, summary.inserted) == (expected["update"], expected["delete"], 0)
    assert summary.written == expected["update"] + expected["delete"]
    # inserts of existing projects are refused by AFAS; 'archive' is not an action
    assert summary.failed == expected["insert"] + expected["archive"]
    assert summary.read == summary.written + summary.failed
    assert f"(update {expected['update']}, delete {expected['delete']})" in summary.message
    labels = dict(summary.labelled_counts())
    split = (labels["of which updated"], labels["of which deleted"])
    assert split == (expected["update"], expected["delete"])
    assert (summary.artifact()[0]["updated"], summary.artifact()[0]["deleted"]) == split
    stages = Counter(record.stage for record in error_records(stkkr_name))
    assert stages == {"update": expected["insert"], "transform": expected["archive"]}
    remaining = {row["ProjectId"] for row in simulator.rows("Profit_Projects")}
    assert not any(row["ProjectId"] in remaining for row in rows if _expected(row) == "delete")
