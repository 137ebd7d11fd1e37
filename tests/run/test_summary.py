"""RunSummary: the table artifact it writes reads back into the same counts (what `stkkr history` does)."""

from __future__ import annotations

import pytest

from stkkr_tasks.run.summary import RunSummary


@pytest.mark.parametrize(
    "summary",
    [
        RunSummary(
            "s", "id", "Completed", read=10, filtered_out=2, skipped=1, written=6, failed=1, duration_s=3.5
        ),
        RunSummary("s", "id", "Failed", read=10, written=4, failed=6, not_attempted=5, duration_s=1.0),
        RunSummary("s", "id", "Completed", read=10, filtered_out=3, would_write=7, dry_run=True),
    ],
    ids=["completed", "stopped", "dry-run"],
)
def test_the_table_reads_back_into_the_counts(summary: RunSummary) -> None:
    counts = RunSummary.counts_from_table(summary.table())

    rebuilt = RunSummary(
        summary.stkkr, summary.flow_run_id, summary.state, dry_run="would_write" in counts, **counts
    )

    assert rebuilt == summary


def test_rows_it_did_not_write_are_ignored() -> None:
    rows = [{"count": "read", "rows": 5}, {"count": "something else", "rows": 1}, {"rows": 2}]

    assert RunSummary.counts_from_table(rows) == {"read": 5}
