"""Benchmark: prune 1 million error records from a SQLite stkkr database (target: within a minute).

Run with `python -m bench.prune [--records N] [--batch-size N]`. The records are written first (not timed),
aged 40 days, together with 10% recent ones that must survive; then `ErrorStore.prune` with the 30-day
cutoff is timed. Prints the figures; exits 1 when the count is wrong or the target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stkkr_tasks.store import ErrorStore, retention_cutoff

TARGET_S = 60.0
_CHUNK = 50_000


def seed(path: Path, old: int, recent: int, now: datetime) -> None:
    """Write `old` records aged 40 days and `recent` records aged 1 day (plain sqlite3, for speed)."""
    ages = [(old, now - timedelta(days=40)), (recent, now - timedelta(days=1))]
    with sqlite3.connect(path) as connection:
        for count, created in ages:
            stamp = created.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format, in UTC
            for start in range(0, count, _CHUNK):
                rows = [
                    (stamp, "bench", "default", "run", "update", f"{i:064x}", 500, -1, "ref", "failed ***", 0)
                    for i in range(start, min(start + _CHUNK, count))
                ]
                connection.executemany(
                    "INSERT INTO error_records (created_at, stkkr, tenant, flow_run_id, stage, row_key, "
                    "http_status, error_number, profit_log_reference, message, consent) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )


async def run(records: int, batch_size: int, folder: Path) -> float:
    """Seed and prune once; returns the prune time in seconds."""
    path = folder / "stkkr.db"
    now = datetime.now(UTC)
    async with ErrorStore(f"sqlite:///{path}"):
        pass  # creates the schema
    seed(path, records, records // 10, now)
    async with ErrorStore(f"sqlite:///{path}") as store:
        started = time.perf_counter()
        deleted = await store.prune(retention_cutoff(30, now), batch_size=batch_size)
        elapsed = time.perf_counter() - started
        left = await store.count_errors()
    if deleted != records or left != records // 10:
        raise SystemExit(f"wrong count: deleted {deleted} of {records}, {left} left of {records // 10}")
    return elapsed


def main() -> None:
    """Parse the options, run the benchmark, print the result."""
    parser = argparse.ArgumentParser(prog="python -m bench.prune", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records older than 30 days")
    parser.add_argument("--batch-size", type=int, default=10_000, help="records per delete transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stkkr-bench-prune-") as folder:
        elapsed = asyncio.run(run(args.records, args.batch_size, Path(folder)))
    rate = args.records / elapsed if elapsed else float("inf")
    verdict = "ok" if elapsed <= TARGET_S else "TOO SLOW"
    print(
        f"prune: {args.records:,} error records deleted in {elapsed:.1f} s "
        f"({rate:,.0f}/s, batch {args.batch_size:,}; target {TARGET_S:.0f} s: {verdict})"
    )
    if elapsed > TARGET_S:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
