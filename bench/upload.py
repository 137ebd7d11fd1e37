"""The upload scenario: the workload's stkkr reading a CSV file (`input:`) instead of the GetConnector.

Throughput: the simulator's own rows, written to a CSV file, against the throughput run that read them from
the GetConnector (same filter, transform and writes). Memory: CSV files of two sizes (the simulator's rows
over and over, so every kept row updates a project that exists), with the 1% filter; peak RSS must stay flat.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.harness import PrefectServer, SimulatorProcess
from bench.report import UploadRuns
from bench.stkkr_run import run_stkkr
from bench.workload import GET_CONNECTOR, HALF, ONE_PERCENT, UPLOAD_COLUMNS, auth_header, page_params

_TAKE = 5_000


def simulator_rows(sim: SimulatorProcess) -> list[dict[str, Any]]:
    """Every row of the workload's GetConnector, with the columns the upload holds."""
    rows: list[dict[str, Any]] = []
    with httpx.Client(base_url=sim.base_url, headers=auth_header(sim.token), timeout=60) as client:
        while True:
            answer = client.get(f"/connectors/{GET_CONNECTOR}", params=page_params(len(rows), _TAKE))
            answer.raise_for_status()
            page = answer.json()["rows"]
            rows += [{column: row.get(column) for column in UPLOAD_COLUMNS} for row in page]
            if len(page) < _TAKE:
                return rows


def write_csv(path: Path, rows: list[dict[str, Any]], count: int) -> Path:
    """Write `count` rows (the given ones over and over) as a `;`-separated CSV file with a header."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(UPLOAD_COLUMNS)
        for row in itertools.islice(itertools.cycle(rows), count):
            writer.writerow(["" if row[column] is None else row[column] for column in UPLOAD_COLUMNS])
    return path


def run_uploads(
    server: PrefectServer,
    sim: SimulatorProcess,
    *,
    sizes: tuple[int, int],
    page_size: int,
    progress: Callable[[str], None],
) -> UploadRuns:
    """Run the upload scenario on the throughput run's simulator (its rows are the files' rows).

    Args:
        server: The Prefect server the runs report to (the connection block points at `sim`).
        sim: The running simulator.
        sizes: Rows of the two memory files.
        page_size: Rows per page.
        progress: Tells the operator what runs.
    """
    folder = server.folder
    rows = simulator_rows(sim)
    progress(f"upload: stkkr reading the simulator's {len(rows):,} rows from a CSV file")
    same = write_csv(folder / "upload-same.csv", rows, len(rows))
    same_rows = run_stkkr(server, name="bench-upload", keep=HALF, page_size=page_size, upload=same)
    same.unlink()
    memory = []
    for size in sizes:
        progress(f"upload memory: stkkr on a {size:,}-row CSV file, keeping about 1%")
        path = write_csv(folder / f"upload-{size}.csv", rows, size)
        name = f"bench-upload-{size}"
        memory.append(run_stkkr(server, name=name, keep=ONE_PERCENT, page_size=page_size, upload=path))
        path.unlink()
    return UploadRuns(same_rows, memory)
