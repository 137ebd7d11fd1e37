"""Flow run names: the stkkr, the Amsterdam time of the run, and what kind of run it is."""

from __future__ import annotations

from datetime import UTC, datetime

from stkkr_tasks.run.naming import run_name


def test_names_show_amsterdam_time_and_the_kind_of_run() -> None:
    winter = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 5, 30, tzinfo=UTC)
    assert run_name("close-projects", winter) == "close-projects 2026-12-05 07:00"
    assert run_name("close-projects", summer) == "close-projects 2026-07-01 07:30"
    assert run_name("close-projects", winter, dry_run=True) == "close-projects 2026-12-05 07:00 (dry run)"
    assert run_name("close-projects", winter, retry=True) == "close-projects 2026-12-05 07:00 (retry)"
    assert run_name("x", datetime(2026, 12, 5, 6, 0)) == "x 2026-12-05 07:00", "a naive time is UTC"
