"""End to end: `update.batch` sends several elements per request; refused ones are found by halving."""

from __future__ import annotations

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator, WriteRecord
from stkkr_tasks.simulator.faults import Faults
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

BATCHED = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  page_size: 100
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    Ds: "{{{{ row.ProjectId }}}} batched"
    DtGw: "{{{{ 'never' if row.ProjectId in {bad} else today }}}}"
update: {{connector: PtProject, action: update, batch: 50}}
"""


def _elements(write: WriteRecord) -> list[dict]:
    element = write.sent["PtProject"]["Element"]
    return element if isinstance(element, list) else [element]


def test_two_bad_elements_among_fifty_are_isolated_and_the_others_written(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    bad = [ids[7], ids[31]]

    summary = run_stkkr(make_spec(BATCHED, connect(simulator), bad=bad))

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(ids) - 2, 2)
    records = error_records(stkkr_name)
    assert [record.stage for record in records] == ["update", "update"]
    assert all("DtGw" in record.message for record in records)
    written = [element["@PrId"] for write in simulator.writes for element in _elements(write)]
    assert sorted(written) == sorted(set(ids) - set(bad))
    puts = [r for r in simulator.requests if r.method == "PUT"]
    refused = [r for r in puts if r.status == 500]
    # 200 rows in 4 batches of 50: one refused batch is halved down to its two bad elements
    assert len(puts) - len(refused) < 20 and 2 <= len(refused) <= 13
    assert any(len(_elements(write)) == 50 for write in simulator.writes)


def test_a_connector_that_refuses_several_elements_falls_back_to_single_ones(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    simulator.faults = Faults(element_arrays=False)
    rows = simulator.rows("Profit_Projects")

    summary = run_stkkr(make_spec(BATCHED, connect(simulator), bad=[]))

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(rows), 0)
    assert "one per request (no batch)" in summary.message
    refused = [r for r in simulator.requests if r.method == "PUT" and r.status == 500]
    assert 0 < len(refused) < 100  # a few halvings until the shape was recognised, then single elements
    assert all(len(_elements(write)) == 1 for write in simulator.writes)


def test_batched_writes_keep_the_run_once_guard(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    text = BATCHED.replace("transform:", "unique: [ProjectId]\ntransform:")
    spec = make_spec(text, connect(simulator), bad=[ids[3]])

    first = run_stkkr(spec)
    second = run_stkkr(spec)

    assert (first.written, first.failed) == (len(ids) - 1, 1)
    assert (second.written, second.skipped, second.failed) == (0, len(ids) - 1, 1)  # the refused one again
    written = [element["@PrId"] for write in simulator.writes for element in _elements(write)]
    assert len(written) == len(set(written)) == len(ids) - 1
