"""End to end: GetConnector lookups (joins) read once per run from the simulator, through the pager."""

from __future__ import annotations

from typing import Any

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, MakeSimulator, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

JOIN = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  where: [{{field: Blocked, op: "=", value: false}}]
  order_by: [ProjectId]
  page_size: 50
lookups:
  active_name:                 # one field per key
    connector: Profit_OrgPer
    key: BcCo
    value: Name
    where: [{{field: Status, op: "=", value: Actief}}]
    max_rows: {max_rows}
  organisation:                # the whole row
    connector: Profit_OrgPer
    key: {key}
filter: "lookup('active_name', row.BcCo, '') != ''"
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    Ds: "{{{{ lookup('active_name', row.BcCo) }}}}"
    ClRe: "{{{{ lookup('organisation', row.BcCo).SearchName }}}}"
update: {{connector: PtProject, action: update}}
"""


def _lookup_reads(simulator: Any) -> int:
    return sum(
        1
        for request in simulator.requests
        if request.method == "GET" and request.path.endswith("/connectors/Profit_OrgPer")
    )


def test_a_lookup_joins_each_row_with_its_get_connector(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    organisations = {row["BcCo"]: row for row in simulator.rows("Profit_OrgPer")}
    active = {bcco for bcco, row in organisations.items() if row["Status"] == "Actief"}
    projects = [row for row in simulator.rows("Profit_Projects") if not row["Blocked"]]
    expected = {
        row["ProjectId"]: (organisations[row["BcCo"]]["Name"], organisations[row["BcCo"]]["SearchName"])
        for row in projects
        if row["BcCo"] in active
    }
    assert 0 < len(expected) < len(projects)
    spec = make_spec(JOIN, connect(simulator), max_rows=100_000, key="BcCo")

    summary = run_stkkr(spec)

    assert (summary.state, summary.written, summary.failed) == ("Completed", len(expected), 0)
    assert summary.filtered_out == len(projects) - len(expected)
    written = {
        write.sent["PtProject"]["Element"]["@PrId"]: (
            write.sent["PtProject"]["Element"]["Fields"]["Ds"],
            write.sent["PtProject"]["Element"]["Fields"]["ClRe"],
        )
        for write in simulator.writes
    }
    assert written == expected
    assert _lookup_reads(simulator) == 2  # each lookup read once, before the first page

    run_stkkr(spec)
    assert _lookup_reads(simulator) == 4  # read again by the next run: nothing is kept between runs


def test_a_lookup_pages_through_a_large_get_connector(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    simulator = make_simulator(rows=2_500, seed=3)
    spec = make_spec(JOIN, connect(simulator), max_rows=100_000, key="BcCo")

    summary = run_stkkr(spec, dry_run=True)

    assert summary.state == "Completed"
    assert summary.would_write > 0
    assert _lookup_reads(simulator) > 3  # 2,500 organisations come in pages of 1,000


def test_a_lookup_past_max_rows_stops_the_run_before_any_write(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    active = sum(1 for row in simulator.rows("Profit_OrgPer") if row["Status"] == "Actief")
    assert active > 10
    summary = run_stkkr(make_spec(JOIN, connect(simulator), max_rows=10, key="BcCo"))

    assert summary.state == "Failed"
    assert "lookup 'active_name' (GetConnector Profit_OrgPer) has more than 10 rows" in summary.message
    assert (summary.read, simulator.writes) == (0, [])


def test_a_lookup_whose_key_is_not_unique_stops_the_run(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    summary = run_stkkr(make_spec(JOIN, connect(simulator), max_rows=100_000, key="Type"))

    assert summary.state == "Failed"
    assert "share a value of its key 'Type'" in summary.message
    assert (summary.read, simulator.writes) == (0, [])


def test_a_lookup_of_an_unknown_field_is_refused_before_reading(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    summary = run_stkkr(make_spec(JOIN, connect(simulator), max_rows=100_000, key="BcCoo"))

    assert summary.state == "Failed"
    assert any("lookups.organisation.key" in problem for problem in summary.problems)
    assert _lookup_reads(simulator) == 0
