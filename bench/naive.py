"""The `naive` baseline: a plain sequential httpx script, one request at a time — what is written today."""

from __future__ import annotations

import time

import httpx

from bench.report import Throughput
from bench.workload import GET_CONNECTOR, UPDATE_CONNECTOR, Keep, auth_header, page_params, update_body


def run_naive(base_url: str, token: str, *, keep: Keep, page_size: int, max_rows: int) -> Throughput:
    """Read page after page and update every kept row, strictly one request after the other.

    Args:
        base_url: The AFAS base URL (`…/ProfitRestServices`).
        token: The AFAS token XML.
        keep: The filter.
        page_size: Rows per page.
        max_rows: Stop after the page that reaches this many rows (rates are compared, not totals).

    Returns:
        What it did and how long it took.
    """
    read = kept = updated = failed = 0
    started = time.perf_counter()
    with httpx.Client(base_url=base_url, headers=auth_header(token), timeout=120) as client:
        skip = 0
        while read < max_rows:
            response = client.get(f"/connectors/{GET_CONNECTOR}", params=page_params(skip, page_size))
            response.raise_for_status()
            rows = response.json()["rows"]
            read += len(rows)
            for row in rows:
                if not keep.keeps(row):
                    continue
                kept += 1
                answer = client.put(f"/connectors/{UPDATE_CONNECTOR}", json=update_body(row))
                if answer.is_success:
                    updated += 1
                else:
                    failed += 1
            if len(rows) < page_size:
                break
            skip += page_size
    return Throughput("naive", read, kept, updated, failed, time.perf_counter() - started)
