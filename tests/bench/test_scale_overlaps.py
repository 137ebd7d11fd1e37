"""`make scale`'s overlap check: a run that died with its killed worker stopped at the kill."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bench.scale import Killed, overlapping

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _run(start_s: float, end_s: float) -> SimpleNamespace:
    """A flow run as the Prefect API returns it, as far as the check reads it."""
    return SimpleNamespace(
        id=uuid.uuid4(), start_time=T0 + timedelta(seconds=start_s), end_time=T0 + timedelta(seconds=end_s)
    )


def _killed(*runs: SimpleNamespace, at_s: float) -> Killed:
    return Killed(
        str(runs[0].id), "worker-2", T0 + timedelta(seconds=at_s), 5, frozenset(str(r.id) for r in runs)
    )


def test_runs_one_after_the_other_do_not_overlap_and_a_run_started_before_the_last_ended_does() -> None:
    first, second = _run(0, 10), _run(10, 20)
    late = _run(5, 30)

    assert overlapping({"scale-00": [second, first]}, ended=T0) == []
    assert overlapping({"scale-00": [first, late]}, ended=T0) == ["scale-00"]


def test_a_killed_run_stopped_at_the_kill_though_it_was_marked_crashed_later() -> None:
    # Killed at 8 s; the next run starts at 40 s and then marks it Crashed, which sets its end time to 41 s.
    killed_run, next_run = _run(0, 41), _run(40, 60)

    assert overlapping({"scale-00": [killed_run, next_run]}, ended=T0) == ["scale-00"]
    assert (
        overlapping({"scale-00": [killed_run, next_run]}, ended=T0, killed=_killed(killed_run, at_s=8)) == []
    )


def test_the_kill_excuses_only_the_runs_that_died_with_it() -> None:
    killed_run, survivor, next_run = _run(0, 41), _run(0, 41), _run(40, 60)
    killed = _killed(killed_run, at_s=8)

    assert overlapping({"scale-01": [survivor, next_run]}, ended=T0, killed=killed) == ["scale-01"]
