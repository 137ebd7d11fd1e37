"""httpx's request log line keeps the URL but not GetConnector filter values (they hold row keys)."""

from __future__ import annotations

import logging

import pytest

from stkkr_tasks.afas.httpx_log import hide_filter_values


def _line(url: str) -> str:
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s %d %s"',
        ("GET", url, "HTTP/1.1", 200, "OK"),
        None,
    )
    for accepted in (f.filter(record) for f in logging.getLogger("httpx").filters):
        assert accepted
    return record.getMessage()


@pytest.mark.parametrize(
    "query",
    [
        "filterfieldids=ProjectId&filtervalues=P0042&operatortypes=4",
        "filterjson=%7B%22Filters%22%3A%7B%7D%7D",
    ],
)
def test_filter_values_are_cut_from_the_line(query: str) -> None:
    hide_filter_values()

    page = "https://1.rest.afas.online/ProfitRestServices/connectors/Profit_Projects"

    line = _line(f"{page}?skip=0&{query}")

    assert line == f'HTTP Request: GET {page}?… "HTTP/1.1 200 OK"'


def test_other_lines_pass_unchanged() -> None:
    hide_filter_values()
    hide_filter_values()  # installed once

    ours = [f for f in logging.getLogger("httpx").filters if type(f).__name__ == "_HideFilterValues"]
    assert len(ours) == 1
    url = "http://127.0.0.1:4200/api/flow_runs/filter?limit=5"
    assert _line(url) == f'HTTP Request: GET {url} "HTTP/1.1 200 OK"'
