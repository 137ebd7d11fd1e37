"""Smoke test of `python -m bench --quick`: every step runs and the report is written (never how fast)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("prefect_server")
def test_quick_benchmark_runs_every_contender_and_writes_its_report(tmp_path: Path) -> None:
    from prefect.settings import get_current_settings

    results = tmp_path / "RESULTS.md"
    api_url = str(get_current_settings().api.url)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results", str(results), "--prefect-api", api_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = results.read_text(encoding="utf-8")
    assert report.startswith("# stkkr benchmark results")
    assert report.count("\n## ") == 1
    for contender in ("naive", "async8-paged", "async8", "stkkr"):
        row = re.search(rf"^\| {contender} \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| 0 \|", report, re.MULTILINE)
        assert row is not None, f"no {contender} row in the report"
        read, kept, updated = (int(value.replace(",", "")) for value in row.groups())
        assert read > 0 and 0 < kept == updated < read
    assert re.search(r"Prefect task runs: \*\*\d+\*\* for \d+ pages", report)
    assert re.search(
        r"the run itself: \*\*[\d.]+\*\* \(target ≥ 1.0\) .*; stkkr / async8 \(reads ahead\): [\d.]+", report
    )
    assert re.search(
        r"whole process \(stkkr [\d.]+ s, async8-paged [\d.]+ s\): \*\*[\d.]+\*\* .*; "
        r"stkkr / async8 \(async8 [\d.]+ s\)",
        report,
    )
    # --quick runs 2 rounds: the table is the median (lower) one, and each round's ratios are listed
    assert re.search(
        r"stkkr / async8-paged in each of the 2 rounds, in order: the run itself [\d.]+, [\d.]+; "
        r"whole process [\d.]+, [\d.]+",
        report,
    )
    assert re.search(
        r"what this machine allows \(the reach probe: .*\): \*\*\d+ updates/s = \d+% of the ceiling\*\*; "
        r"of that, stkkr \d+%, async8-paged \d+%, async8 \d+%",
        report,
    )
    assert re.search(
        r"client CPU s per 1,000 rows read: stkkr [\d.]+ .*, async8-paged [\d.]+, async8 [\d.]+", report
    )
    for command in ("stkkr connection set bench-cli", "stkkr run bench-cli-run.yaml (22 rows)"):
        timing = re.search(
            rf"^\| `{re.escape(command)}[^`]*` \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ .* \| 0 \|$",
            report,
            re.M,
        )
        assert timing is not None, f"no timing of {command} without Prefect log lines"
    assert re.search(r"stkkr peak RSS: \*\*\d+ MiB\*\*", report)
    assert re.search(r"peak RSS 400 / 200 rows: \*\*\d\.\d{3}\*\*", report)
    batches = re.findall(
        r"^\| (\d+) \| (none|1 in [\d,]+) \| ([^|]*) \| ([\d,]+) \| (\d+) \|", report, re.MULTILINE
    )
    assert [(size, refused, by.strip()) for size, refused, by, _, _ in batches] == [
        ("1", "none", ""),
        ("50", "none", ""),
        ("50", "1 in 100", "the metainfo"),
        ("50", "1 in 5,000", "the metainfo"),
        ("50", "1 in 100", "AFAS's rule"),
        ("50", "1 in 5,000", "AFAS's rule"),
    ]
    assert [int(updated) + int(failed) for *_, updated, failed in batches] == [300] * 6
    assert int(batches[2][4]) == int(batches[4][4]) == 3  # one row in a hundred refused, the others written
    assert re.search(r"batch 50 / batch 1 updates/s: \*\*[\d.]+\*\*", report)
    for by in ("the metainfo", "AFAS's rule"):
        assert re.search(
            rf"lost when 1 element in 100 is refused by {by} \(\d+% of the batches\): \*\*-?[\d.]+", report
        )
    uploads = re.findall(
        r"^\| (GetConnector|CSV upload[^|]*) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|", report, re.MULTILINE
    )
    assert [(source, read) for source, read, _, _ in uploads] == [
        ("GetConnector", "200"),
        ("CSV upload", "200"),
        ("CSV upload, 1% kept", "200"),
        ("CSV upload, 1% kept", "400"),
    ]
    assert uploads[0][2:] == uploads[1][2:]  # the same rows kept and updated from the file
    assert re.search(r"upload / GetConnector rows/s on the same 200 rows: \*\*[\d.]+\*\*", report)
    assert re.search(r"upload peak RSS 400 / 200 rows: \*\*\d\.\d{3}\*\*", report)
    assert done.stdout.strip() in report  # the printed report is the appended one
