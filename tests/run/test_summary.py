"""RunSummary: its artifact carries the fields by name and reads back into the same summary (history)."""

from __future__ import annotations

import pytest

from stkkr_tasks.run.summary import ARTIFACT_FIELDS, RunSummary
from stkkr_tasks.tasks import Counts


@pytest.mark.parametrize(
    "summary",
    [
        RunSummary(
            "s", "id", "Completed", read=10, filtered_out=2, skipped=1, written=6, failed=1, duration_s=3.5
        ),
        RunSummary("s", "id", "Failed", read=10, written=4, failed=1, not_attempted=5, duration_s=1.0),
        RunSummary("s", "id", "Completed", read=10, filtered_out=3, would_write=7, dry_run=True),
        RunSummary("s", "id", "Completed", read=0, dry_run=True),
    ],
    ids=["completed", "stopped", "dry-run", "dry-run-of-nothing"],
)
def test_the_artifact_reads_back_into_the_summary(summary: RunSummary) -> None:
    (row,) = summary.artifact()

    rebuilt = RunSummary(
        summary.stkkr, summary.flow_run_id, summary.state, **RunSummary.fields_from_artifact([row])
    )

    assert list(row) == list(ARTIFACT_FIELDS)
    assert rebuilt == summary


def test_a_dry_run_is_a_field_not_a_guess() -> None:
    (row,) = RunSummary("s", "id", "Completed", read=5, filtered_out=5, dry_run=True).artifact()

    assert row["dry_run"] is True
    assert row["would_write"] == 0


def test_tables_of_another_shape_give_no_fields() -> None:
    labelled = [{"count": "read", "rows": 5}, {"count": "written", "rows": 1}]

    assert RunSummary.fields_from_artifact(labelled) == {}
    assert RunSummary.fields_from_artifact([]) == {}


def test_counts_add_up_field_by_field() -> None:
    page = Counts(read=500, pages=1)
    kept = Counts(filtered_out=200, skipped=10, failed=1)
    written = Counts(written=288, failed=1)

    total = page + kept + written

    assert total == Counts(read=500, filtered_out=200, skipped=10, written=288, failed=2, pages=1)
    assert total.accounted() == total.read
    summary = RunSummary.from_counts(total, stkkr="s", flow_run_id="id", state="Completed")
    assert (summary.read, summary.written, summary.failed, summary.pages) == (500, 288, 2, 1)


def test_respond_counts_show_in_the_text_the_json_and_ok() -> None:
    counts = Counts(read=10, written=10, updated=10, responded=8, respond_failed=2)
    summary = RunSummary.from_counts(counts, stkkr="s", flow_run_id="f", state="Completed")

    assert "written 10, failed 0, responded 8, respond failed 2" in summary.counts_text()
    assert summary.to_json()["responded"] == 8 and summary.to_json()["respond_failed"] == 2
    assert ("respond failed", 2) in summary.labelled_counts()
    assert not summary.ok  # a row without its response is not a clean run
    assert RunSummary.fields_from_artifact(summary.artifact())["respond_failed"] == 2
    plain = RunSummary.from_counts(Counts(read=1, written=1), stkkr="s", flow_run_id="f", state="Completed")
    assert "respond" not in plain.counts_text() and "responded" not in plain.to_json() and plain.ok
