"""End to end: `update.batch` sends several elements per request; refused ones are found by splitting.

Two kinds of refusal: a value the UpdateConnector's metainfo refuses (a date that is none) is found before
sending and costs no request; a refusal by AFAS's own rules (the record to update does not exist) is found
by splitting the refused batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator, WriteRecord
from stkkr_tasks.simulator.faults import Faults
from stkkr_tasks.simulator.gate import ReadGate
from stkkr_tasks.spec import StkkrSpec
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

BATCHED = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  page_size: {page_size}
transform:
  keys: {{"@PrId": "{{{{ 'X' ~ row.ProjectId if row.ProjectId in {unknown} else row.ProjectId }}}}"}}
  fields:
    Ds: "{{{{ row.ProjectId }}}} batched"
    DtGw: "{{{{ 'never' if row.ProjectId in {invalid} else today }}}}"
update: {{connector: PtProject, action: update, batch: {batch}}}
"""


def _spec(
    make_spec: MakeSpec,
    connection: str,
    *,
    unknown: Sequence[str] = (),
    invalid: Sequence[str] = (),
    batch: int = 50,
    page_size: int = 100,
) -> StkkrSpec:
    return make_spec(
        BATCHED, connection, unknown=list(unknown), invalid=list(invalid), batch=batch, page_size=page_size
    )


def _elements(write: WriteRecord) -> list[dict]:
    element = write.sent["PtProject"]["Element"]
    return element if isinstance(element, list) else [element]


def test_two_unknown_records_among_fifty_are_isolated_and_the_others_written(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    bad = [ids[7], ids[31]]

    summary = run_stkkr(_spec(make_spec, connect(simulator), unknown=bad))

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(ids) - 2, 2)
    records = error_records(stkkr_name)
    assert [record.stage for record in records] == ["update", "update"]
    assert all("does not exist" in record.message for record in records)
    written = [element["@PrId"] for write in simulator.writes for element in _elements(write)]
    assert sorted(written) == sorted(set(ids) - set(bad))
    puts = [r for r in simulator.requests if r.method == "PUT"]
    refused = [r for r in puts if r.status == 500]
    # 200 rows in 4 batches of 50; the refused one goes again in 4 parts, its two refused parts of 12 in 4
    # parts of 3 each, and the two refused parts of 3 element by element: 7 refused requests
    assert len(refused) == 7 and len(puts) - len(refused) < 20
    assert any(len(_elements(write)) == 50 for write in simulator.writes)


@pytest.mark.parametrize("batch", [1, 50])
def test_elements_the_metainfo_refuses_fail_without_a_request(
    simulator: Simulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
    batch: int,
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    invalid = [ids[3], ids[60]]

    summary = run_stkkr(_spec(make_spec, connect(simulator), invalid=invalid, batch=batch))

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(ids) - 2, 2)
    records = error_records(stkkr_name)
    assert [record.stage for record in records] == ["update", "update"]
    for record in records:
        assert "field 'DtGw' (Actual date completed) of UpdateConnector 'PtProject': must be a date" in (
            record.message
        )
        assert "not sent" in record.message and "never" not in record.message
    puts = [r for r in simulator.requests if r.method == "PUT"]
    assert all(r.status == 201 for r in puts)  # no request was refused: the two rows were never sent
    written = [element["@PrId"] for write in simulator.writes for element in _elements(write)]
    assert sorted(written) == sorted(set(ids) - set(invalid))
    assert len(puts) == (len(ids) - 2 if batch == 1 else 4)  # pages of 100: 50 + 48, 50 + 50


def test_on_error_stop_stops_at_the_first_element_the_metainfo_refuses(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    text = BATCHED.replace("update:", "on_error: stop\nupdate:")
    spec = make_spec(text, connect(simulator), unknown=[], invalid=ids[3:40], batch=50, page_size=100)

    summary = run_stkkr(spec)

    assert (summary.state, summary.failed) == ("Failed", 1)
    assert summary.message.startswith("Stopped at the first failed row (on_error: stop).")
    assert summary.written + summary.failed + summary.not_attempted == summary.read
    assert len(error_records(stkkr_name)) == 1
    assert not [write for write in simulator.writes if write.method == "PUT"]  # the page was not sent


def test_pages_are_read_on_while_refused_elements_are_found(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    bad = [ids[5], ids[60]]  # in the first and the second page (one batch each)
    pages = len(ids) // 50
    # The search for the refused elements ends in single-element writes, held until every page was read: a
    # run that waited for the search before reading on (two pages in memory) would meet the gate's timeout.
    simulator.read_gate = gate = ReadGate(reads=pages)

    summary = run_stkkr(_spec(make_spec, connect(simulator), unknown=bad, page_size=50))

    assert not gate.timed_out
    assert (summary.state, summary.written, summary.failed) == ("Completed", len(ids) - 2, 2)
    assert summary.read == len(ids) and len(error_records(stkkr_name)) == 2
    written = [element["@PrId"] for write in simulator.writes for element in _elements(write)]
    assert sorted(written) == sorted(set(ids) - set(bad))  # nothing lost, nothing written twice


def test_a_connector_that_refuses_several_elements_falls_back_to_single_ones(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    simulator.faults = Faults(element_arrays=False)
    rows = simulator.rows("Profit_Projects")

    summary = run_stkkr(_spec(make_spec, connect(simulator)))

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(rows), 0)
    assert "one per request (no batch)" in summary.message
    refused = [r for r in simulator.requests if r.method == "PUT" and r.status == 500]
    assert 0 < len(refused) < 100  # a few splits until the shape was recognised, then single elements
    assert all(len(_elements(write)) == 1 for write in simulator.writes)


def test_batched_writes_keep_the_run_once_guard(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    ids = sorted(row["ProjectId"] for row in simulator.rows("Profit_Projects"))
    text = BATCHED.replace("transform:", "unique: [ProjectId]\ntransform:")
    spec = make_spec(text, connect(simulator), unknown=[ids[3]], invalid=[], batch=50, page_size=100)

    first = run_stkkr(spec)
    second = run_stkkr(spec)

    assert (first.written, first.failed) == (len(ids) - 1, 1)
    assert (second.written, second.skipped, second.failed) == (0, len(ids) - 1, 1)  # the refused one again
    written = [element["@PrId"] for write in simulator.writes for element in _elements(write)]
    assert len(written) == len(set(written)) == len(ids) - 1
