"""httpx's request log line keeps the URL but not filter values or DELETE key values (they hold row keys)."""

from __future__ import annotations

import logging

import pytest

from stkkr_tasks.afas import AfasClient, AfasValidationError
from stkkr_tasks.afas.httpx_log import hide_row_values
from stkkr_tasks.simulator import Simulator


def _line(url: str, method: str = "GET") -> str:
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s %d %s"',
        (method, url, "HTTP/1.1", 200, "OK"),
        None,
    )
    for installed in logging.getLogger("httpx").filters:
        assert installed(record) if callable(installed) else installed.filter(record)
    return record.getMessage()


@pytest.mark.parametrize(
    "query",
    [
        "filterfieldids=ProjectId&filtervalues=P0042&operatortypes=4",
        "filterjson=%7B%22Filters%22%3A%7B%7D%7D",
    ],
)
def test_filter_values_are_cut_from_the_line(query: str) -> None:
    hide_row_values()

    page = "https://1.rest.afas.online/ProfitRestServices/connectors/Profit_Projects"

    line = _line(f"{page}?skip=0&{query}")

    assert line == f'HTTP Request: GET {page}?… "HTTP/1.1 200 OK"'


def test_other_lines_pass_unchanged() -> None:
    hide_row_values()
    hide_row_values()  # installed once

    ours = [f for f in logging.getLogger("httpx").filters if type(f).__name__ == "_HideRowValues"]
    assert len(ours) == 1
    url = "http://127.0.0.1:4200/api/flow_runs/filter?limit=5"
    assert _line(url) == f'HTTP Request: GET {url} "HTTP/1.1 200 OK"'


@pytest.mark.parametrize(
    ("path", "hidden"),
    [
        ("KnContact/KnContact/@CdId/jan.jansen%40example.nl", "KnContact/KnContact/@CdId/…"),
        (
            "KnSubject/KnSubjectLink/@SbId,@Lnk/4711,P%C3%A9ter%2C%20de%20Boer",
            "KnSubject/KnSubjectLink/@SbId,@Lnk/…",
        ),
        ("KnPerson/KnPerson/%40BcCo/000123", "KnPerson/KnPerson/%40BcCo/…"),
    ],
)
def test_delete_key_values_are_cut_from_the_path(path: str, hidden: str) -> None:
    hide_row_values()
    base = "https://1.rest.afas.online/ProfitRestServices/connectors"

    line = _line(f"{base}/{path}", "DELETE")

    assert line == f'HTTP Request: DELETE {base}/{hidden} "HTTP/1.1 200 OK"'


@pytest.mark.anyio
async def test_a_real_delete_logs_its_line_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    hide_row_values()  # as a program using the client sets its logging up (stkkr's runs and command do)
    sim = Simulator(rows=5, seed=3)
    key = "jan.jansen@example.nl"
    with sim.serve() as base_url, caplog.at_level(logging.INFO, logger="httpx"):
        async with AfasClient(sim.token, base_url=base_url) as client:
            with pytest.raises(AfasValidationError):  # no such contact; the line is logged
                await client.delete("KnContact", {"CdId": key})

    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any(line.startswith("HTTP Request: DELETE ") and "/@CdId/…" in line for line in lines), lines
    assert not [line for line in lines if "jansen" in line]


def _ours() -> list[logging.Filter]:
    return [
        f
        for f in logging.getLogger("httpx").filters
        if isinstance(f, logging.Filter) and type(f).__name__ == "_HideRowValues"
    ]


@pytest.fixture
def no_filter() -> None:
    """The httpx logger without our filter, as in a process that did not set stkkr's logging up."""
    for installed in _ours():
        logging.getLogger("httpx").removeFilter(installed)


@pytest.mark.usefixtures("no_filter")
def test_creating_a_client_changes_no_global_logging() -> None:
    from stkkr_tasks.afas import AfasClient

    AfasClient("ABC123", base_url="http://127.0.0.1:9/ProfitRestServices")

    assert _ours() == []


@pytest.mark.usefixtures("no_filter")
def test_the_stkkr_command_installs_the_filter_before_any_command() -> None:
    from typer.testing import CliRunner

    from stkkr_tasks.cli import main

    main._register()
    result = CliRunner().invoke(main.app, ["schema"])

    assert result.exit_code == 0, result.output
    assert len(_ours()) == 1
