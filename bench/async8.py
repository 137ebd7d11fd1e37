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
    base_url: str, token: str, *, keep: Keep, page_size: int, concurrency: int
) -> Throughput:
    """Read every page and update every kept row, `concurrency` calls at a time.

    Args:
        base_url: The AFAS base URL (`…/ProfitRestServices`).
        token: The AFAS token XML.
        keep: The filter.
        page_size: Rows per page.
        concurrency: Calls in flight at most.

    Returns:
        What it did and how long it took.
    """
    counts = {"read": 0, "kept": 0, "updated": 0, "failed": 0}
    slots = asyncio.Semaphore(concurrency)
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=page_size)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=base_url, headers=auth_header(token), timeout=120, limits=limits
    ) as client:

        async def reader() -> None:
            skip = 0
            while True:
                params = page_params(skip, page_size)
                async with slots:
                    response = await client.get(f"/connectors/{GET_CONNECTOR}", params=params)
                response.raise_for_status()
                rows = response.json()["rows"]
                counts["read"] += len(rows)
                for row in rows:
                    if keep.keeps(row):
                        counts["kept"] += 1
                        await queue.put(row)
                if len(rows) < page_size:
                    break
                skip += page_size
            for _ in range(concurrency):
                await queue.put(None)

        async def writer() -> None:
            while (row := await queue.get()) is not None:
                async with slots:
                    answer = await client.put(f"/connectors/{UPDATE_CONNECTOR}", json=update_body(row))
                counts["updated" if answer.is_success else "failed"] += 1

        async with asyncio.TaskGroup() as group:
            group.create_task(reader())
            for _ in range(concurrency):
                group.create_task(writer())
    return _throughput("async8", counts, time.perf_counter() - started)


def _throughput(name: str, counts: dict[str, int], seconds: float) -> Throughput:
    return Throughput(
        name,
        read=counts["read"],
        kept=counts["kept"],
        updated=counts["updated"],
        failed=counts["failed"],
        seconds=seconds,
    )


async def run_async8_paged(
    base_url: str, token: str, *, keep: Keep, page_size: int, concurrency: int
) -> Throughput:
    """Read a page, update its kept rows `concurrency` calls at a time, wait for them, then read the next.

    Args:
        base_url: The AFAS base URL (`…/ProfitRestServices`).
        token: The AFAS token XML.
        keep: The filter.
        page_size: Rows per page.
        concurrency: Calls in flight at most.

    Returns:
        What it did and how long it took.
    """
    counts = {"read": 0, "kept": 0, "updated": 0, "failed": 0}
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=base_url, headers=auth_header(token), timeout=120, limits=limits
    ) as client:

        async def write(row: dict[str, Any]) -> None:
            async with slots:
                answer = await client.put(f"/connectors/{UPDATE_CONNECTOR}", json=update_body(row))
            counts["updated" if answer.is_success else "failed"] += 1

        skip = 0
        while True:
            async with slots:
                response = await client.get(
                    f"/connectors/{GET_CONNECTOR}", params=page_params(skip, page_size)
                )
            response.raise_for_status()
            rows = response.json()["rows"]
            counts["read"] += len(rows)
            kept = [row for row in rows if keep.keeps(row)]
            counts["kept"] += len(kept)
            await asyncio.gather(*(write(row) for row in kept))
            if len(rows) < page_size:
                break
            skip += page_size
    return _throughput("async8-paged", counts, time.perf_counter() - started)


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
    run = run_async8_paged if args.paged else run_async8
    done = asyncio.run(
        run(args.base_url, token, keep=HALF, page_size=args.page_size, concurrency=args.concurrency)
    )
    print(json.dumps({key: value for key, value in asdict(done).items() if key != "cpu"}))


if __name__ == "__main__":
    main()
