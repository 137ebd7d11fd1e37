"""End to end: `group_by` makes one element from many rows — journal entries (FiEntries) from bank lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator, WriteRecord
from stkkr_tasks.spec import StkkrSpec, load_stkkr_text
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

EXAMPLE = Path(__file__).parents[2] / "deployments" / "examples" / "bank-journal-entries.yaml"
LINES_PER_STATEMENT = 6  # the simulator's bank feed


@pytest.fixture
def example_spec(stkkr_name: str) -> Callable[..., StkkrSpec]:
    """The example stkkr under the test's stkkr name and connection, with a few changes."""

    def make(connection: str, page_size: int = 5, journal: str = '"50"', extra: str = "") -> StkkrSpec:
        text = EXAMPLE.read_text(encoding="utf-8")
        text = text.replace("stkkr: book-bank-statements", f"stkkr: {stkkr_name}")
        text = text.replace("connection: demo-simulator", f"connection: {connection}")
        text = text.replace("page_size: 100", f"page_size: {page_size}")
        return load_stkkr_text(text.replace('JoCo: "50"', f"JoCo: {journal}") + extra)

    return make


def _statements(simulator: Simulator) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(simulator.rows("Bank_Statement_Lines"), key=lambda r: r["LineId"]):
        groups[row["StatementId"]].append(row)
    return groups


def _entry_lines(write: WriteRecord) -> list[dict[str, Any]]:
    objects = write.sent["FiEntryPar"]["Element"]["Objects"]
    return [line["Fields"] for line in objects[0]["FiEntries"]["Element"]]


def test_groups_spanning_pages_become_one_balanced_entry_each(
    simulator: Simulator, connect: Connect, example_spec: MakeSpec
) -> None:
    statements = _statements(simulator)

    summary = run_stkkr(example_spec(connect(simulator)))

    rows = sum(len(lines) for lines in statements.values())
    assert (summary.state, summary.read, summary.written, summary.failed) == ("Completed", rows, rows, 0)
    assert (summary.groups_written, summary.groups_failed) == (len(statements), 0)
    assert f"written {rows} ({len(statements)} groups)" in summary.message
    posts = [w for w in simulator.writes if w.method == "POST"]
    assert len(posts) == len(statements)
    for write in posts:
        lines = _entry_lines(write)
        statement = statements[lines[0]["BpNr"]]
        assert len(lines) == len(statement) + 1  # a line per payment and the total
        assert [line["AcNr"] for line in lines[:-1]] == [row["DebtorId"] for row in statement]
        total = sum(Decimal(str(row["Amount"])) for row in statement)
        assert Decimal(str(lines[-1]["AmDe"])) == total
        assert write.keys["EnNo"].isdigit()


def test_a_refused_group_is_one_error_record_and_the_others_are_written(
    simulator: Simulator,
    connect: Connect,
    example_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
) -> None:
    statements = _statements(simulator)
    bad = sorted(statements)[2]
    journal = f"\"{{{{ '99' if row.StatementId == '{bad}' else '50' }}}}\""

    summary = run_stkkr(example_spec(connect(simulator), journal=journal))

    assert (summary.groups_written, summary.groups_failed) == (len(statements) - 1, 1)
    assert summary.failed == len(statements[bad])
    assert summary.read == summary.written + summary.failed
    (record,) = error_records(stkkr_name)
    assert (record.stage, record.http_status) == ("update", 500)
    assert "'Journal' (JoCo) does not exist" in record.message
    assert bad not in record.message


def test_a_group_larger_than_max_group_rows_stops_the_run(
    simulator: Simulator,
    connect: Connect,
    example_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
) -> None:
    summary = run_stkkr(example_spec(connect(simulator), extra="max_group_rows: 4\n"))

    assert summary.state == "Failed"
    assert "more than 4 rows (max_group_rows)" in summary.message
    assert (summary.failed, summary.groups_failed, summary.written) == (5, 1, 0)
    assert [record.stage for record in error_records(stkkr_name)] == ["filter"]
    assert simulator.writes == []


def test_limit_counts_groups_and_unique_skips_booked_statements(
    simulator: Simulator, connect: Connect, example_spec: MakeSpec
) -> None:
    spec = example_spec(connect(simulator), extra="limit: 3\n")

    first = run_stkkr(spec)
    second = run_stkkr(spec)

    assert (first.groups_written, first.written, first.read) == (3, 18, 18)
    assert first.limit_reached
    assert (second.groups_written, second.skipped) == (3, 18)
    booked = [_entry_lines(w)[0]["BpNr"] for w in simulator.writes]
    assert len(booked) == len(set(booked)) == 6
