"""End to end: the run-once guard (`unique`) writes each key at most once per AFAS environment."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from typer.testing import Result

import stkkr_tasks.afas.client as client_module
from stkkr_tasks.afas import RetryPolicy
from stkkr_tasks.afas.environment import environment_scope
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Faults, Simulator
from stkkr_tasks.store import ErrorStore, aget_fingerprint_key, key_fingerprint
from tests.fixture_types import Connect, ErrorRecords, MakeSimulator, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

# One department contact per department name: five names repeat over all pages of contacts.
DEPARTMENTS = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Contacts
  where:
    - {{field: Department, op: not_empty}}
  order_by: [ContactId]
  page_size: {page_size}
unique: [Department]
transform:
  fields:
    BcCoOga: "{{{{ row.OrgNumber }}}}"
    ViKc: AFD
    ExAd: "{{{{ row.Department }}}}"
update: {{connector: KnContact, action: insert}}
"""


def _departments(simulator: Simulator) -> set[str]:
    return {row["Department"] for row in simulator.rows("Profit_Contacts") if row["Department"]}


def test_a_key_repeated_on_later_pages_is_written_once(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    simulator = make_simulator(rows=300, seed=1)
    departments = _departments(simulator)
    spec = make_spec(DEPARTMENTS, connect(simulator), page_size=5)

    summary = run_stkkr(spec)

    sent = Counter(write.sent["KnContact"]["Element"]["Fields"]["ExAd"] for write in simulator.writes)
    assert set(sent) == departments
    assert max(sent.values()) == 1, f"a department was inserted more than once: {sent}"
    assert summary.written == len(departments)
    assert summary.skipped == summary.read - len(departments)


def _inserted(simulator: Simulator) -> Counter:
    return Counter(
        w.sent["KnContact"]["Element"]["Fields"]["ExAd"] for w in simulator.writes if w.method == "POST"
    )


def test_an_unknown_outcome_keeps_the_key_until_resolved(
    make_simulator: MakeSimulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
) -> None:
    simulator = make_simulator(rows=120, seed=1)
    departments = _departments(simulator)
    spec = make_spec(DEPARTMENTS, connect(simulator), page_size=20)
    simulator.faults = Faults(drop_rate=1.0, drop_writes_only=True)  # applied, then the answer is lost

    first = run_stkkr(spec)

    assert set(_inserted(simulator)) == departments and first.written == 0
    assert first.failed == len(departments), "each unknown outcome is one failed row"
    records = error_records(stkkr_name)
    assert len(records) == len(departments)
    assert all("stays reserved" in r.message and r.unique_key for r in records)
    simulator.faults = Faults()
    simulator.clear_log()

    second = run_stkkr(spec)

    assert not simulator.writes, "an unknown outcome is never written again by itself"
    assert (second.written, second.failed, second.skipped) == (0, 0, second.read)
    assert len(error_records(stkkr_name)) == len(departments), "no second record for a reported key"

    not_there, there = records[0], records[1]
    assert _cli("errors", "resolve", str(not_there.id), "--not-written").exit_code == 0
    assert _cli("errors", "resolve", str(there.id), "--written").exit_code == 0
    third = run_stkkr(spec)

    assert third.written == 1 and len(simulator.writes) == 1, "only the key resolved as not written"
    resolved = {r.id: r.resolution for r in error_records(stkkr_name)}
    assert (resolved[not_there.id], resolved[there.id]) == ("not-written", "written")


def test_a_crashed_runs_reservation_is_skipped_and_reported(
    make_simulator: MakeSimulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
) -> None:
    simulator = make_simulator(rows=60, seed=1)
    connection = connect(simulator)
    spec = make_spec(DEPARTMENTS, connection, page_size=20)
    department = sorted(_departments(simulator))[0]
    asyncio.run(_reserve_as_a_crashed_run(stkkr_name, simulator.base_url, department))

    summary = run_stkkr(spec)

    assert department not in _inserted(simulator)
    assert summary.written == len(_departments(simulator)) - 1
    (record,) = error_records(stkkr_name)
    assert "unknown outcome" in record.message and record.stage == "update"
    assert department not in record.message


async def _reserve_as_a_crashed_run(stkkr: str, base_url: str | None, department: str) -> None:
    secret = await aget_fingerprint_key()
    fingerprint = key_fingerprint(secret, stkkr, (department,))
    async with ErrorStore() as store:
        await store.check_fingerprint_key(secret)
        keys = store.run_once(stkkr, environment_scope(base_url=base_url))
        assert await keys.apply(flow_run_id="crashed-run", reserve=[fingerprint]) == {fingerprint}


def test_a_row_with_an_empty_unique_key_fails_with_a_clear_record(
    make_simulator: MakeSimulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
) -> None:
    simulator = make_simulator(rows=60, seed=1)
    empty = sum(1 for row in simulator.rows("Profit_Contacts") if not row["Department"])
    assert empty, "the generated contacts include rows without a department"
    text = DEPARTMENTS.replace("field: Department, op: not_empty", 'field: Blocked, op: "=", value: false')
    spec = make_spec(text, connect(simulator), page_size=20)

    summary = run_stkkr(spec)

    blocked = sum(1 for row in simulator.rows("Profit_Contacts") if row["Blocked"])
    empty_kept = sum(
        1 for row in simulator.rows("Profit_Contacts") if not row["Department"] and not row["Blocked"]
    )
    assert summary.failed == empty_kept and summary.read == 60 - blocked
    records = error_records(stkkr_name)
    assert len(records) == empty_kept
    assert all(r.stage == "filter" and "run-once key (Department) is empty" in r.message for r in records)


def test_another_fingerprint_key_refuses_to_run(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator = make_simulator(rows=40, seed=1)
    spec = make_spec(DEPARTMENTS, connect(simulator), page_size=20)
    assert run_stkkr(spec).state == "Completed"  # the database now knows the key
    simulator.clear_log()
    monkeypatch.setenv("STKKR_FINGERPRINT_KEY", "a-key-from-elsewhere")

    refused = run_stkkr(spec)

    assert refused.state == "Failed" and not simulator.writes
    assert "fingerprint key is not the one" in refused.message
    assert "stkkr-fingerprint-key" in refused.message and "STKKR_FINGERPRINT_KEY" in refused.message


def test_run_once_keys_belong_to_the_afas_environment(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    rehearsal, production = make_simulator(rows=60, seed=1), make_simulator(rows=60, seed=1)
    departments = _departments(rehearsal)
    spec_rehearsal = make_spec(DEPARTMENTS, connect(rehearsal), page_size=20)
    spec_production = make_spec(DEPARTMENTS, connect(production), page_size=20)

    assert run_stkkr(spec_rehearsal).written == len(departments)
    assert run_stkkr(spec_production).written == len(departments), "a rehearsal never makes others skip"
    again = run_stkkr(spec_rehearsal)

    assert again.written == 0 and again.skipped == again.read
    assert set(_inserted(production)) == departments


def _cli(*args: str) -> Result:
    from typer.testing import CliRunner

    from stkkr_tasks.cli.main import _register, app

    _register()
    return CliRunner().invoke(app, list(args))


# Projects that are not chargeable get a value AFAS refuses: the first of them stops the run.
STOPPING = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Projects
  order_by: [ProjectId]
  page_size: 40
unique: [ProjectId]
on_error: stop
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    ViAg: "{{{{ 'AFK' if row.Chargeable else 'XXX' }}}}"
update: {{connector: PtProject, action: update}}
"""


def test_a_stopped_run_releases_the_keys_it_reserved_ahead(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    simulator = make_simulator(rows=120, seed=1)
    spec = make_spec(STOPPING, connect(simulator))

    summary = run_stkkr(spec)

    assert summary.state == "Failed" and summary.not_attempted > 0
    states = asyncio.run(_key_states(stkkr_name))
    assert set(states) <= {"done"}, f"only written keys stay: {states}"
    assert states["done"] == summary.written == len(simulator.writes)


async def _key_states(stkkr: str) -> Counter:
    from sqlalchemy import select

    from stkkr_tasks.store._schema import run_once_keys

    async with ErrorStore() as store, store.engine.connect() as connection:
        query = select(run_once_keys.c.state).where(run_once_keys.c.stkkr == stkkr)
        return Counter((await connection.execute(query)).scalars())


def test_errors_list_by_key_is_scoped_to_the_environment(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec, stkkr_name: str
) -> None:
    rehearsal, production = make_simulator(rows=40, seed=1), make_simulator(rows=40, seed=1)
    connections = {sim: connect(sim) for sim in (rehearsal, production)}
    for connection in connections.values():
        run_stkkr(make_spec(STOPPING.replace("on_error: stop\n", ""), connection))
    refused = next(row["ProjectId"] for row in rehearsal.rows("Profit_Projects") if not row["Chargeable"])

    def listed(*extra: str) -> list[dict]:
        result = _cli("errors", "list", "--stkkr", stkkr_name, "--key", refused, "--json", *extra)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    both = listed()
    only = listed("--connection", connections[production])

    assert len(both) == 2 and {r["environment"] for r in both} == {
        environment_scope(base_url=sim.base_url) for sim in (rehearsal, production)
    }
    assert [r["environment"] for r in only] == [environment_scope(base_url=production.base_url)]


def test_an_insert_answered_504_keeps_its_key_reserved(
    make_simulator: MakeSimulator,
    connect: Connect,
    make_spec: MakeSpec,
    error_records: ErrorRecords,
    stkkr_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A gateway's 502/504 comes after AFAS processed the insert: like a lost answer, never written again.
    monkeypatch.setattr(client_module, "RetryPolicy", lambda: RetryPolicy(attempts=10, base_delay=0.001))
    simulator = make_simulator(rows=120, seed=1)
    spec = make_spec(DEPARTMENTS, connect(simulator), page_size=20)
    simulator.faults = Faults(gateway_timeout_rate=0.4, seed=3)

    first = run_stkkr(spec)
    simulator.faults = Faults()
    run_stkkr(spec)

    assert first.failed >= 1, "some inserts met a 504"
    assert max(_inserted(simulator).values()) == 1, f"a department was inserted twice: {_inserted(simulator)}"
    assert set(_inserted(simulator)) == _departments(simulator)
    assert any("stays reserved" in r.message for r in error_records(stkkr_name))
