"""The async baselines: hand-written asyncio + httpx, 8 calls in flight; `async8` reads the next page ahead,
`async8-paged` waits at each page.

`async8` is the best one can do within AFAS's limit of 8 parallel calls: one semaphore bounds every call
(reads and updates together, as AFAS counts them), a reader fills a queue of at most one page of kept rows
while the writers drain it, so the next page is read while the current one is written.
`async8-paged` is the script one writes by hand (issue 15's "async baseline"): the same semaphore, but it
reads a page, writes that page's kept rows 8 at a time, waits for them all, and only then reads the next.

`python -m bench.async8 BASE_URL [--paged]` runs one as a script of its own (the token on stdin) and prints
what it did as JSON, so that its whole process, interpreter start-up included, can be timed next to
`stkkr run`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import httpx

from bench.harness import SimulatorProcess, base_env
from bench.process import run_measured
from bench.report import Throughput
from bench.workload import GET_CONNECTOR, HALF, UPDATE_CONNECTOR, Keep, auth_header, page_params, update_body

_PROJECT = Path(__file__).resolve().parents[1]


async def run_async8(
    base_url: str, token: str, *, keep: Keep, page_size: int, concurrency: int, paged: bool = False
) -> Throughput:
    """Read every page and update every kept row, `concurrency` calls at a time.

    Args:
        base_url: The AFAS base URL (`…/ProfitRestServices`).
        token: The AFAS token XML.
        keep: The filter.
        page_size: Rows per page.
        concurrency: Calls in flight at most.
        paged: Wait for a page's updates before reading the next page (`async8-paged`); otherwise the next
            page is read while the current one is written (`async8`).

    Returns:
        What it did and how long it took.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=base_url, headers=auth_header(token), timeout=120, limits=limits
    ) as client:
        calls = _Calls(client, concurrency, keep)
        if paged:
            await _page_by_page(calls, page_size)
        else:
            await _read_ahead(calls, page_size, concurrency)
    counts = calls.counts
    return Throughput(
        "async8-paged" if paged else "async8",
        read=counts["read"],
        kept=counts["kept"],
        updated=counts["updated"],
        failed=counts["failed"],
        seconds=time.perf_counter() - started,
    )


class _Calls:
    """The calls of the script, each holding one of `concurrency` slots (reads and updates alike)."""

    def __init__(self, client: httpx.AsyncClient, concurrency: int, keep: Keep) -> None:
        self.client = client
        self.slots = asyncio.Semaphore(concurrency)
        self.keep = keep
        self.counts = {"read": 0, "kept": 0, "updated": 0, "failed": 0}

    async def page(self, skip: int, page_size: int) -> list[dict[str, Any]]:
        """Read one page; returns its rows."""
        params = page_params(skip, page_size)
        async with self.slots:
            response = await self.client.get(f"/connectors/{GET_CONNECTOR}", params=params)
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["rows"]
        self.counts["read"] += len(rows)
        return rows

    def kept(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows the filter keeps."""
        kept = [row for row in rows if self.keep.keeps(row)]
        self.counts["kept"] += len(kept)
        return kept

    async def write(self, row: dict[str, Any]) -> None:
        """Update one kept row."""
        async with self.slots:
            answer = await self.client.put(f"/connectors/{UPDATE_CONNECTOR}", json=update_body(row))
        self.counts["updated" if answer.is_success else "failed"] += 1


async def _read_ahead(calls: _Calls, page_size: int, concurrency: int) -> None:
    """A reader fills a queue of at most one page of kept rows while `concurrency` writers drain it."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=page_size)

    async def reader() -> None:
        skip = 0
        while True:
            rows = await calls.page(skip, page_size)
            for row in calls.kept(rows):
                await queue.put(row)
            if len(rows) < page_size:
                break
            skip += page_size
        for _ in range(concurrency):
            await queue.put(None)

    async def writer() -> None:
        while (row := await queue.get()) is not None:
            await calls.write(row)

    async with asyncio.TaskGroup() as group:
        group.create_task(reader())
        for _ in range(concurrency):
            group.create_task(writer())


async def _page_by_page(calls: _Calls, page_size: int) -> None:
    """Read a page, write its kept rows (the slots bound how many at a time), wait for them all, go on."""
    skip = 0
    while True:
        rows = await calls.page(skip, page_size)
        await asyncio.gather(*(calls.write(row) for row in calls.kept(rows)))
        if len(rows) < page_size:
            break
        skip += page_size


def run_async8_process(
    sim: SimulatorProcess, *, page_size: int, concurrency: int, paged: bool = False
) -> Throughput:
    """Run `python -m bench.async8` (with `paged`: `--paged`) against the simulator and time its whole
    process (start-up included).

    Raises:
        RuntimeError: It failed (its output is included).
    """
    argv = [sys.executable, "-m", "bench.async8", sim.base_url, "--page-size", str(page_size)]
    argv += ["--concurrency", str(concurrency), *(["--paged"] if paged else [])]
    done = run_measured(argv, base_env(sim.folder), cwd=_PROJECT, stdin=sim.token)
    if done.returncode != 0:
        name = "async8-paged" if paged else "async8"
        raise RuntimeError(f"{name} exited with {done.returncode}:\n{done.stdout}{done.stderr[-3000:]}")
    return replace(Throughput(**json.loads(done.stdout)), process_s=done.wall_s)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.async8 BASE_URL --page-size N --concurrency N [--paged]`: the workload (keep about
    half), token on stdin; prints its `Throughput` as one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m bench.async8", description=main.__doc__)
    parser.add_argument("base_url")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--paged", action="store_true", help="wait at each page (async8-paged)")
    args = parser.parse_args(argv)
    token = sys.stdin.read().strip()
    done = asyncio.run(
        run_async8(
            args.base_url,
            token,
            keep=HALF,
            page_size=args.page_size,
            concurrency=args.concurrency,
            paged=args.paged,
        )
    )
    print(json.dumps({key: value for key, value in asdict(done).items() if key != "cpu"}))


if __name__ == "__main__":
    main()
