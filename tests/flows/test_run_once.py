"""End to end: the run-once guard (`unique`) writes each key at most once per AFAS environment."""

from __future__ import annotations

from collections import Counter

import pytest

from stkkr_tasks.run import run_stkkr

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


def _departments(simulator) -> set[str]:
    return {row["Department"] for row in simulator.rows("Profit_Contacts") if row["Department"]}


def test_a_key_repeated_on_later_pages_is_written_once(make_simulator, connect, make_spec) -> None:
    simulator = make_simulator(rows=300, seed=1)
    departments = _departments(simulator)
    spec = make_spec(DEPARTMENTS, connect(simulator), page_size=5)

    summary = run_stkkr(spec)

    sent = Counter(write.body["KnContact"]["Element"]["Fields"]["ExAd"] for write in simulator.writes)
    assert set(sent) == departments
    assert max(sent.values()) == 1, f"a department was inserted more than once: {sent}"
    assert summary.written == len(departments)
    assert summary.skipped == summary.read - len(departments)
