"""End to end: `limit:` in the file and `limit=` (`stkkr run --limit N`) bound the rows a run keeps."""

from __future__ import annotations

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

LIMITED = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  page_size: 5
filter: "not row.Blocked"
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{ChOu: true}}
update: {{connector: PtProject, action: update}}
limit: 7
"""


def _rows_up_to_kept(simulator: Simulator, kept: int) -> int:
    """How many rows (in ProjectId order) a run reads until it has kept `kept` unblocked ones."""
    rows = sorted(simulator.rows("Profit_Projects"), key=lambda r: r["ProjectId"])
    seen = 0
    for index, row in enumerate(rows):
        seen += not row["Blocked"]
        if seen == kept:
            return index + 1
    raise AssertionError("too few rows")


def test_limit_in_the_file_stops_after_n_kept_rows(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    expected_read = _rows_up_to_kept(simulator, 7)

    summary = run_stkkr(make_spec(LIMITED, connect(simulator)))

    assert (summary.state, summary.written, summary.failed) == ("Completed", 7, 0)
    assert summary.limit_reached and summary.limit == 7
    assert summary.read == expected_read == summary.filtered_out + summary.written
    assert "limit of 7 was reached" in summary.message
    assert len([w for w in simulator.writes if w.method == "PUT"]) == 7
    gets = [r for r in simulator.requests if r.method == "GET" and "/connectors/" in r.path]
    assert len(gets) == -(-expected_read // 5)  # no page read past the one that reached the limit


def test_limit_argument_overrides_the_file_and_counts_only_new_rows(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    spec = make_spec(LIMITED.replace("transform:", "unique: [ProjectId]\ntransform:"), connect(simulator))

    first = run_stkkr(spec, limit=3)
    second = run_stkkr(spec, limit=3)

    assert (first.written, first.limit_reached, first.limit) == (3, True, 3)
    assert (second.written, second.skipped) == (3, 3)  # the 3 done before are skipped, not counted
    written = [w.sent["PtProject"]["Element"]["@PrId"] for w in simulator.writes]
    assert len(set(written)) == 6


def test_limit_not_reached_reads_everything(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    rows = simulator.rows("Profit_Projects")
    unblocked = sum(not r["Blocked"] for r in rows)

    summary = run_stkkr(make_spec(LIMITED, connect(simulator)), dry_run=True, limit=10_000)

    assert (summary.read, summary.would_write, summary.limit_reached) == (len(rows), unblocked, False)
    assert "limit" not in summary.message
