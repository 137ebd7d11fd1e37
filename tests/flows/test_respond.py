"""End to end: `respond` writes a second element built from the row and AFAS's answer to the first write."""

from __future__ import annotations

from typing import Any

import pytest

from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, ErrorRecords, MakeSimulator, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

CONTACTS = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_OrgPer
  where: [{{field: Type, op: "=", value: O}}]
  order_by: [BcCo]
  page_size: 25
unique: [BcCo]
transform:
  fields: {{BcCoOga: "{{{{ row.BcCo }}}}", ViKc: AFD, ExAd: Inkoop}}
update: {{connector: KnContact, action: insert}}
respond:
  transform:
    keys: {{"@BcCo": "{{{{ row.BcCo }}}}{suffix}"}}
    fields: {{Re: "Contact {{{{ response.{field} }}}} aangemaakt"}}
  update: {{connector: KnOrganisation, action: update{answers}}}
"""


def _organisations(sim: Simulator) -> list[str]:
    return sorted(row["BcCo"] for row in sim.rows("Profit_OrgPer") if row["Type"] == "O")


def _spec(
    make_spec: MakeSpec, connection: str, *, suffix: str = "", field: str = "CdId", answers: str = ""
) -> Any:
    return make_spec(CONTACTS, connection, suffix=suffix, field=field, answers=answers)


def test_the_response_carries_the_new_key_into_a_second_write(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    organisations = _organisations(simulator)

    summary = run_stkkr(_spec(make_spec, connect(simulator)))

    count = len(organisations)
    assert (summary.state, summary.written, summary.responded, summary.respond_failed) == (
        "Completed",
        count,
        count,
        0,
    )
    assert summary.ok and f"responded {count}, respond failed 0" in summary.message
    inserts = [w for w in simulator.writes if w.connector == "KnContact"]
    assert all(set(w.keys) == {"CdId"} for w in inserts)  # AFAS's answer: {"results": {"KnContact": {...}}}
    contact_of = {w.sent["KnContact"]["Element"]["Fields"]["BcCoOga"]: w.keys["CdId"] for w in inserts}
    notes = {row["BcCo"]: row["Note"] for row in simulator.rows("Profit_OrgPer")}
    assert sorted(contact_of) == organisations
    assert all(notes[bcco] == f"Contact {contact_of[bcco]} aangemaakt" for bcco in organisations)
    created = {row["ContactId"] for row in simulator.rows("Profit_Contacts")}
    assert set(contact_of.values()) <= created


def test_a_refused_response_is_an_error_record_and_never_repeats_the_first_write(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    spec = _spec(make_spec, connect(simulator), suffix="-unknown")  # no organisation has that key
    count = len(_organisations(simulator))

    first = run_stkkr(spec)
    second = run_stkkr(spec)

    assert (first.state, first.written, first.failed, first.responded, first.respond_failed) == (
        "Completed",
        count,
        0,
        0,
        count,
    )
    assert not first.ok and "Failed rows: `stkkr errors list" in first.message
    records = error_records(stkkr_name)
    assert len(records) == count and {r.stage for r in records} == {"respond"}
    assert all(r.http_status == 500 and "does not exist" in r.message for r in records)
    assert all(r.unique_key is None for r in records)  # the insert is done: its key is not kept open
    assert (second.written, second.skipped, second.responded) == (0, count, 0)
    assert len([w for w in simulator.writes if w.connector == "KnContact"]) == count


def test_a_response_the_metainfo_refuses_is_an_error_record_without_a_request(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    spec = _spec(make_spec, connect(simulator), suffix="-longer-than-15")  # BcCo takes 15 characters
    count = len(_organisations(simulator))

    summary = run_stkkr(spec)

    assert (summary.written, summary.failed) == (count, 0)
    assert (summary.responded, summary.respond_failed) == (0, count)
    records = error_records(stkkr_name)
    assert len(records) == count and {r.stage for r in records} == {"respond"}
    assert {r.message for r in records} == {
        "field 'BcCo' (Number) of UpdateConnector 'KnOrganisation': is longer than 15 characters; "
        "not sent (checked against the metainfo)"
    }
    assert all(r.http_status is None and r.connector == "KnOrganisation" for r in records)
    assert not [r for r in simulator.requests if "/connectors/KnOrganisation" in r.path]  # no request


def test_a_response_without_the_field_asked_for_fails_at_stage_respond(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    summary = run_stkkr(_spec(make_spec, connect(simulator), field="ContactNumber"))

    assert (summary.written, summary.respond_failed, summary.failed) == (summary.read, summary.read, 0)
    messages = {r.message for r in error_records(stkkr_name)}
    assert messages == {"respond.transform.fields.Re: AFAS's response has no field 'ContactNumber'"}
    assert not [w for w in simulator.writes if w.connector == "KnOrganisation"]


def test_the_response_goes_to_its_own_connection(
    make_simulator: MakeSimulator, connect: Connect, make_spec: MakeSpec
) -> None:
    reads, answers = make_simulator(rows=40, seed=2), make_simulator(rows=40, seed=2)
    elsewhere = connect(answers)

    summary = run_stkkr(_spec(make_spec, connect(reads), answers=f", connection: {elsewhere}"))

    count = len(_organisations(reads))
    assert (summary.written, summary.responded) == (count, count)
    assert {w.connector for w in reads.writes} == {"KnContact"}
    assert {w.connector for w in answers.writes} == {"KnOrganisation"} and len(answers.writes) == count


def test_stop_on_error_stops_at_the_first_refused_response(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, error_records: ErrorRecords, stkkr_name: str
) -> None:
    text = CONTACTS + "on_error: stop\n"
    summary = run_stkkr(make_spec(text, connect(simulator), suffix="-unknown", field="CdId", answers=""))

    assert summary.state == "Failed" and "on_error: stop" in summary.message
    assert (summary.written, summary.respond_failed) == (1, 1)
    assert len(error_records(stkkr_name)) == 1


GROUPED = """
stkkr: {name}
connection: {connection}
get:
  connector: Profit_Contacts
  where: [{{field: OrgNumber, op: not_empty}}]
  order_by: [OrgNumber, ContactId]
group_by: [OrgNumber]
transform:
  keys: {{"@BcCo": "{{{{ row.OrgNumber }}}}"}}
  fields: {{Re: "{{{{ rows | length }}}} contacts"}}
update: {{connector: KnOrganisation, action: update}}
respond:
  transform:
    keys: {{"@BcCo": "{{{{ response.BcCo }}}}"}}
    fields: {{HoPa: "https://example.nl/{{{{ response.BcCo }}}}/{{{{ rows | length }}}}"}}
  update: {{connector: KnOrganisation, action: update}}
"""


def test_a_group_gets_one_response(simulator: Simulator, connect: Connect, make_spec: MakeSpec) -> None:
    contacts = [c for c in simulator.rows("Profit_Contacts") if c["OrgNumber"]]
    per_organisation: dict[str, int] = {}
    for contact in contacts:
        per_organisation[contact["OrgNumber"]] = per_organisation.get(contact["OrgNumber"], 0) + 1

    summary = run_stkkr(make_spec(GROUPED, connect(simulator)))

    assert (summary.written, summary.groups_written, summary.responded) == (
        len(contacts),
        len(per_organisation),
        len(contacts),
    )
    homepages = {row["BcCo"]: row["Homepage"] for row in simulator.rows("Profit_OrgPer")}
    assert all(homepages[org] == f"https://example.nl/{org}/{n}" for org, n in per_organisation.items())
    assert len(simulator.writes) == 2 * len(per_organisation)
