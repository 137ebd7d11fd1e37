"""The benchmark reports the median round of its alternating contenders (`bench.report.median_round`)."""

from __future__ import annotations

import pytest

from bench.report import Report, Round, Settings, StkkrRun, Throughput, median_round


def _throughput(name: str, seconds: float) -> Throughput:
    """2,000 rows read, 1,000 kept and updated in `seconds` (the process one second longer)."""
    return Throughput(name, 2_000, 1_000, 1_000, 0, seconds, process_s=seconds + 1)


def _round(stkkr_seconds: float, paged_seconds: float = 10.0) -> Round:
    """A round where stkkr / async8-paged in the run is paged_seconds / stkkr_seconds."""
    return Round(
        paged=_throughput("async8-paged", paged_seconds),
        async8=_throughput("async8", paged_seconds),
        stkkr=StkkrRun(_throughput("stkkr", stkkr_seconds), task_runs=20, pages=5, peak_rss_mib=100.0),
    )


def test_the_median_round_is_chosen_by_the_ratio_in_the_run() -> None:
    slow, middle, fast = _round(12.5), _round(10.0), _round(8.0)

    assert [r.in_run for r in (slow, middle, fast)] == [0.8, 1.0, 1.25]
    assert median_round([fast, slow, middle]) is middle
    assert median_round([fast, slow]) is slow  # an even count: the lower of the two middle rounds
    with pytest.raises(ValueError):
        median_round([])


def test_the_report_shows_the_median_round_and_lists_every_round() -> None:
    rounds = [_round(12.5), _round(8.0), _round(10.0)]
    settings = Settings(2_000, 20, 8, 400, 100, (0, 0))
    report = Report(settings, "a machine", "a server", naive=_throughput("naive", 100.0), rounds=rounds)

    text = report.markdown()

    assert median_round(report.rounds) is rounds[2]
    assert "the run itself: **1.00** (target ≥ 1.0)" in text
    assert "in each of the 3 rounds, in order: the run itself 0.80, 1.25, 1.00; whole process" in text
    assert "The three ran 3 rounds" in text
