"""The recorder keeps a template of AFAS's message; its full text goes only into the consented payload."""

from __future__ import annotations

import pytest

from stkkr_tasks.afas.models import GetConnectorMeta, UpdateConnectorMeta
from stkkr_tasks.spec import compile_spec, load_stkkr_text
from stkkr_tasks.store import PLACEHOLDER, ErrorStore, decrypt_payload
from stkkr_tasks.tasks import ErrorRecorder
from stkkr_tasks.tasks._context import WriteItem
from stkkr_tasks.tasks._recorder import Failure

pytestmark = pytest.mark.anyio

SPEC = """
stkkr: {name}
tenant: {tenant}
connection: acme
get: {{connector: Profit_Projects, order_by: [ProjectId]}}
update: {{connector: PtProject, action: update}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{Ds: "{{{{ row.Description }}}}"}}
"""
ROW = {"ProjectId": "P000042", "Description": "Nieuwbouw Jansen"}
AFAS = (
    "De waarde 'NIEUWBOUW JANSEN' voor veld 'Omschrijving' (Ds) is te lang. "
    "Project 42 van Piet de Boer is afgesloten op 1 mei 2024."
)
GET_META = GetConnectorMeta.model_validate(
    {"name": "Profit_Projects", "fields": [{"id": "ProjectId", "fieldId": "U001", "label": "Projectnummer"}]}
)
UPDATE_META = UpdateConnectorMeta.model_validate(
    {"name": "PtProject", "fields": [{"fieldId": "Ds", "label": "Omschrijving"}], "objects": []}
)


async def _record(
    store: ErrorStore, tenant: str, consent: bool, reference: str = "B8213AF1C3C54E579686406A8DE71C6C"
) -> None:
    compiled = compile_spec(load_stkkr_text(SPEC.format(name=f"rec-{tenant}", tenant=tenant)))
    recorder = ErrorRecorder(
        store=store,
        stkkr=f"rec-{tenant}",
        tenant=tenant,
        flow_run_id="run-1",
        compiled=compiled,
        connector="PtProject",
        consent=consent,
        names=frozenset(GET_META.names() | UPDATE_META.names()),
    )
    item = WriteItem(row=dict(ROW), element=compiled.element(ROW))
    failure = Failure("update", ROW, AFAS, 500, -2147220469, reference, item)
    failure.from_afas = True
    recorder.fail(failure)
    await recorder.flush()


def test_metainfo_names_are_ids_labels_and_objects() -> None:
    assert GET_META.names() == {"Profit_Projects", "ProjectId", "U001", "Projectnummer"}
    assert UPDATE_META.names() == {"PtProject", "Ds", "Omschrijving"}


async def test_without_consent_only_the_template_is_stored(store: ErrorStore) -> None:
    await _record(store, "acme", consent=False)

    (record,) = await store.list_errors("rec-acme")

    assert record.message == (
        f"De waarde {PLACEHOLDER} voor veld 'Omschrijving' (Ds) is te lang. "
        f"Project {PLACEHOLDER} is afgesloten op {PLACEHOLDER}."  # `42 van Piet de Boer` is one run
    )
    assert (record.http_status, record.error_number) == (500, -2147220469)
    assert record.profit_log_reference == "B8213AF1C3C54E579686406A8DE71C6C"
    assert not record.has_payload


async def test_under_consent_the_full_message_is_in_the_encrypted_payload(
    store: ErrorStore, _keys: str
) -> None:
    await store.set_consent("beta", True)
    await _record(store, "beta", consent=True)

    (record,) = await store.list_errors("rec-beta")

    assert PLACEHOLDER in record.message and "Boer" not in record.message
    payload = decrypt_payload(record.payload_encrypted or "", _keys.encode())
    assert payload["message"] == AFAS
    assert payload["sent"]["PtProject"]["Element"]["Fields"] == {"Ds": "Nieuwbouw Jansen"}


async def test_a_log_reference_that_is_not_an_id_is_stored_as_a_template(store: ErrorStore) -> None:
    await _record(store, "gamma", consent=False, reference="Jansen 1234 AB")

    (record,) = await store.list_errors("rec-gamma")

    assert record.profit_log_reference == PLACEHOLDER
