"""End to end: failed rows, error policies, faults, `unique`, and runs that cannot start or go on."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import unquote

import pytest

import stkkr_tasks.afas.client as client_module
from stkkr_tasks.afas import RetryPolicy
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Faults, Simulator
from stkkr_tasks.spec import StkkrSpec
from stkkr_tasks.store import PLACEHOLDER
from tests.fixture_types import Connect, ErrorRecords, MakeSimulator, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

# Rows that are not chargeable get a key no project has: AFAS refuses to update a record that does not exist
# (its own rule, which no metainfo tells, so the row is sent and refused).
PROJECTS = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  page_size: {page_size}
{extra}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId if row.Chargeable else 'X' ~ row.ProjectId }}}}"}}
  fields:
    PrSt: Afgesloten
    ViAg: AFK
{fields}
update: {{connector: PtProject, action: update}}
"""


def _projects(
    make_spec: MakeSpec, connection: str, *, page_size: int = 50, extra: str = "", fields: str = ""
) -> StkkrSpec:
    return make_spec(PROJECTS, connection, page_size=page_size, extra=extra, fields=fields)


def test_unique_skips_rows_written_before(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    spec = _projects(make_spec, connect(simulator), extra="unique: [ProjectId]")
    chargeable = sum(1 for r in simulator.rows("Profit_Projects") if r["Chargeable"])

    first = run_stkkr(spec)
    simulator.clear_log()
    second = run_stkkr(spec)

    assert (first.written, first.skipped, first.failed) == (chargeable, 0, 200 - chargeable)
    assert (second.written, second.skipped) == (0, chargeable), "only successful keys are done"
    assert second.failed == 200 - chargeable, "failed rows are tried again"
    assert len(simulator.writes) == 0


def test_on_error_stop_stops_at_the_first_failed_row(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    summary = run_stkkr(_projects(make_spec, connect(simulator), extra="on_error: stop"))

    assert summary.state == "Failed"
    assert summary.message.startswith("Stopped at the first failed row (on_error: stop).")
    assert summary.failed == 1, "stop means the first failed row, not the rows in flight beside it"
    assert summary.not_attempted > 0
    assert f"failed 1, not attempted {summary.not_attempted}" in summary.message
    assert f"{summary.not_attempted} kept rows were not attempted" in summary.message
    assert summary.written + summary.failed + summary.not_attempted == summary.read < 200, "every row read"
    assert len(error_records(stkkr_name)) == 1, "one error record: the row that failed"


def test_max_errors_stops_past_the_limit(simulator: Simulator, connect: Connect, make_spec: MakeSpec) -> None:
    summary = run_stkkr(_projects(make_spec, connect(simulator), page_size=500, extra="max_errors: 3"))

    assert summary.state == "Failed"
    assert "max_errors: 3" in summary.message
    assert summary.failed >= 4
    assert summary.written + summary.failed + summary.not_attempted == summary.read == 200


def test_every_row_is_written_or_recorded_under_faults(
    make_simulator: MakeSimulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
) -> None:
    simulator = make_simulator(rows=200, seed=1)
    simulator.faults = Faults(unavailable_rate=0.1, retry_after_s=0, lock_error_rate=0.1, seed=3)
    rows = simulator.rows("Profit_Projects")
    refused = {r["ProjectId"] for r in rows if not r["Chargeable"]}
    broken = {r["ProjectId"] for r in rows if r["CheckedOut"]}  # their transform fails: int("CON")
    fields = "    CoNu: \"{{ int(row.ProjectGroup) if row.CheckedOut else 'x' }}\""

    summary = run_stkkr(_projects(make_spec, connect(simulator), fields=fields))

    assert summary.state == "Completed"
    assert summary.written + summary.failed == summary.read == 200
    statuses = {r.status for r in simulator.requests}
    assert {503, 500} <= statuses, "the simulator did inject faults"
    accepted = [w for w in simulator.writes if w.method == "PUT"]
    assert len(accepted) == summary.written, "every accepted write is counted once"
    records = error_records(stkkr_name)
    assert len(records) == summary.failed
    by_stage = {stage: [r for r in records if r.stage == stage] for stage in ("transform", "update")}
    assert len(by_stage["transform"]) == len(broken)
    validation = [r for r in by_stage["update"] if r.http_status == 500 and "does not exist" in r.message]
    assert len(validation) == len(refused - broken)
    assert all(r.profit_log_reference and r.error_number for r in validation)
    assert all(r.row_key and r.row_key not in refused for r in records), "row keys are fingerprints"
    assert not any(p in r.message for r in records for p in refused | broken), "messages are redacted"


def test_online_validation_refuses_to_start(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    spec = make_spec(
        """
stkkr: {name}
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId]}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{NoSuchField: 1}}
update: {{connector: PtProject, action: update}}
""",
        connect(simulator),
    )

    summary = run_stkkr(spec)

    assert summary.state == "Failed"
    assert summary.problems and any("NoSuchField" in p for p in summary.problems)
    assert "nothing was sent" in summary.message
    assert simulator.writes == [] and summary.read == 0


def test_a_refused_token_fails_the_run_with_a_clean_message(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    wrong = "<token><version>1</version><data>" + "ab" * 32 + "</data></token>"
    summary = run_stkkr(_projects(make_spec, connect(simulator, token=wrong)))

    assert summary.state == "Failed"
    assert "HTTP 401" in summary.message and "stkkr connection test" in summary.message
    assert "ab" * 32 not in summary.message and simulator.token not in summary.message
    assert simulator.writes == []


def test_unreachable_afas_fails_the_run(
    connect: Connect, make_spec: MakeSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "RetryPolicy", lambda: RetryPolicy(attempts=2, base_delay=0.01))
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/ProfitRestServices"
    summary = run_stkkr(_projects(make_spec, connect(token="0" * 64, base_url=base_url)))

    assert summary.state == "Failed"
    assert summary.message.startswith("AFAS is unreachable")
    assert summary.read == 0


def test_a_missing_connection_says_how_to_create_it(make_spec: MakeSpec) -> None:
    summary = run_stkkr(_projects(make_spec, "no-such-connection"))

    assert summary.state == "Failed"
    assert "stkkr connection set no-such-connection" in summary.message


def _refusing_key_filters(app: Any) -> Any:
    """Wrap the simulator: a filtered page (by key) is answered 500, AFAS's message quoting the query."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = unquote(scope.get("query_string", b"").decode())
        if scope["type"] != "http" or "filtervalues=" not in query:  # the stkkr has no `where` of its own
            await app(scope, receive, send)
            return
        error = {
            "externalMessage": f"Ongeldig filter: {query}",
            "errorNumber": -2147467259,
            "profitLogReference": "0" * 32,
        }
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(error).encode()})

    return wrapped


def test_a_page_that_fails_keeps_the_key_it_was_asked_by_out_of_the_error_record(
    connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    sim = Simulator(rows=200, seed=1)
    sim.app = _refusing_key_filters(sim.app)
    last_of_first_page = sorted(r["ProjectId"] for r in sim.rows("Profit_Projects"))[49]

    with sim.serve():
        summary = run_stkkr(_projects(make_spec, connect(sim)))

    assert summary.state == "Failed" and summary.read == 50
    assert "Reading GetConnector Profit_Projects failed" in summary.message
    (record,) = [r for r in error_records(stkkr_name) if r.stage == "get"]
    assert record.http_status == 500 and "Ongeldig filter" in record.message
    assert last_of_first_page not in record.message and PLACEHOLDER in record.message
    assert record.row_key, "the record names the page by the fingerprint of the key it came after"


@pytest.mark.parametrize("declared", [False, True])
def test_an_order_by_that_is_not_unique_fails_the_run_unless_declared(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, declared: bool
) -> None:
    text = PROJECTS.replace("order_by: [ProjectId]", "order_by: [ProjectGroup]")
    extra = "  order_by_unique: false" if declared else ""  # indented: part of get
    summary = run_stkkr(make_spec(text, connect(simulator), page_size=50, extra=extra, fields=""))

    if declared:  # counted pages, ties kept: every row is read once
        assert summary.state == "Completed" and summary.read == 200
    else:
        assert summary.state == "Failed"
        assert "two rows share the same order_by key (ProjectGroup)" in summary.message
        assert "order_by_unique: false" in summary.message and summary.read == 0
