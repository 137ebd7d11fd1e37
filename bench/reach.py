"""The reach probe: the most updates per second any client gets from this simulator on this machine.

The ceiling (concurrency / latency) assumes every answer takes exactly the latency. On a small machine the
simulator's own handling and the loopback add to it, whatever the client. The probe measures that limit with
a client that costs next to nothing: `concurrency` raw HTTP/1.1 connections, each sending PUT bodies prepared
before the clock starts, reading only each answer's status and length; no pages are read, no row is
decoded or filtered. Its rate is what the simulator and the machine allow; the report puts the contenders'
rates beside it (one can come out a little above it: requests spread out by a client's own work queue less at
the simulator than the probe's, which all leave at once).
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import httpx

from bench.workload import GET_CONNECTOR, HALF, UPDATE_CONNECTOR, auth_header, page_params, update_body


async def probe_reach(base_url: str, token: str, *, updates: int, concurrency: int) -> float:
    """PUT the bodies of the first `updates` kept rows, `concurrency` connections at a time.

    Args:
        base_url: The simulator's base URL (`http://127.0.0.1:PORT/ProfitRestServices`).
        token: Its AFAS token XML.
        updates: PUTs to send (the kept rows of the first pages; fewer when the simulator has fewer).
        concurrency: Connections, each with one request in flight.

    Returns:
        Updates per second.

    Raises:
        RuntimeError: The simulator refused a PUT.
    """
    bodies = await _bodies(base_url, token, updates)
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"PUT {parts.path}/connectors/{UPDATE_CONNECTOR} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {auth_header(token)['Authorization']}\r\nContent-Type: application/json\r\n"
    )
    requests = [f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body for body in bodies]
    pending = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for request in pending:
                writer.write(request)
                await _answer(reader)
        finally:
            writer.close()

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(connection())
    return len(requests) / (time.perf_counter() - started)


async def _bodies(base_url: str, token: str, updates: int) -> list[bytes]:
    """The PUT bodies of the first `updates` rows the workload keeps (read before the clock starts)."""
    bodies: list[bytes] = []
    async with httpx.AsyncClient(base_url=base_url, headers=auth_header(token), timeout=120) as client:
        skip, take = 0, 500
        while len(bodies) < updates:
            answer = await client.get(f"/connectors/{GET_CONNECTOR}", params=page_params(skip, take))
            rows = answer.raise_for_status().json()["rows"]
            bodies += [json.dumps(update_body(row)).encode() for row in rows if HALF.keeps(row)]
            if len(rows) < take:
                break
            skip += take
    return bodies[:updates]


async def _answer(reader: asyncio.StreamReader) -> None:
    """Read one answer (status line, headers, `Content-Length` bytes of body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    if status >= 300:
        raise RuntimeError(f"the simulator answered a probe PUT with {status}")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
