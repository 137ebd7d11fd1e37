"""Data-subject requests: due in 5 Dutch working days, export, rectify, erase (invoices kept), close."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stkkr_tasks.tenants import NotFoundError, TenantError, TenantStore, dsr
from tests.tenants.conftest import PASSWORD

pytestmark = pytest.mark.anyio
FRIDAY = datetime(2026, 4, 24, 10, 0, tzinfo=UTC)  # the Monday after is King's Day
JAN = "jan@acme.example"


async def _acme(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme", name="Acme BV", contact_name="Jan Jansen", contact_email=JAN, now=FRIDAY)
    await tenants.add_user("jan", "acme", PASSWORD, email=JAN)
    await tenants.add_user("piet", "acme", PASSWORD, email="piet@acme.example")
    await tenants.add_invoice("acme", "2026-001", date(2026, 1, 31), Decimal("100"), addressee="Jan Jansen")
    await tenants.store.set_consent("acme", True)


async def test_a_request_is_due_five_dutch_working_days_after_receipt(tenants: TenantStore) -> None:
    await _acme(tenants)
    request = await dsr.open_request(tenants, "acme", "access", "Jan@Acme.example", now=FRIDAY)
    assert (request.received_on, request.due_on, request.subject) == (
        date(2026, 4, 24),
        date(2026, 5, 4),
        JAN,
    )
    assert not request.overdue(date(2026, 5, 4)) and request.overdue(date(2026, 5, 5))
    assert await dsr.deadline_counts(tenants, date(2026, 5, 3)) == {
        "open": 1,
        "overdue": 0,
        "due_by_tomorrow": 1,
    }
    assert await dsr.deadline_counts(tenants, date(2026, 5, 5)) == {
        "open": 1,
        "overdue": 1,
        "due_by_tomorrow": 0,
    }
    assert [r.id for r in await dsr.list_requests(tenants, overdue_on=date(2026, 5, 5))] == [request.id]
    with pytest.raises(TenantError, match="unknown request kind"):
        await dsr.open_request(tenants, "acme", "delete", JAN)
    with pytest.raises(NotFoundError):
        await dsr.get_request(tenants, request.id, tenant="globex")


async def test_an_export_holds_every_item_about_the_person(tenants: TenantStore) -> None:
    await _acme(tenants)
    await tenants.authenticate("jan", PASSWORD)
    request = await dsr.open_request(tenants, "acme", "access", JAN, now=FRIDAY)
    answered = datetime(2026, 4, 28, 9, 0, tzinfo=UTC)
    export = await dsr.export_request(tenants, request.id, now=answered)
    assert export["contact_person"] == {
        "contact_name": "Jan Jansen",
        "contact_email": JAN,
        "contact_phone": None,
    }
    assert [a["username"] for a in export["user_accounts"]] == ["jan"]  # not piet's account
    assert [e["success"] for e in export["user_accounts"][0]["logins"]] == [True]
    assert export["consent"] == {"store_failed_payloads": True}
    assert [i["number"] for i in export["invoices_addressed_to_you"]] == ["2026-001"]
    assert "meta-information only" in export["error_records"]
    assert PASSWORD not in repr(export) and "argon2" not in repr(export)
    assert (await dsr.get_request(tenants, request.id)).answered_at == answered
    assert (await tenants.get_tenant("acme")).last_interaction_at == answered  # an answer is an interaction


async def test_rectify_corrects_the_contact_person_and_accounts(tenants: TenantStore) -> None:
    await _acme(tenants)
    request = await dsr.open_request(tenants, "acme", "rectify", JAN)
    changed = await dsr.rectify_request(
        tenants, request.id, {"contact_phone": "0612345678", "email": "j@a.example"}
    )
    assert changed == 2
    assert (await tenants.get_tenant("acme")).contact_phone == "0612345678"
    assert (await tenants.get_user("jan")).email == "j@a.example"
    with pytest.raises(TenantError, match="rectify one or more of"):
        await dsr.rectify_request(tenants, request.id, {"password_hash": "x"})


async def test_erase_removes_the_person_and_keeps_invoices_without_the_name(tenants: TenantStore) -> None:
    await _acme(tenants)
    request = await dsr.open_request(tenants, "acme", "erase", JAN)
    counts = await dsr.erase_request(tenants, request.id)
    assert counts == {"user_accounts": 1, "contact_person": 1, "invoices_anonymised": 1}
    tenant = await tenants.get_tenant("acme")
    assert (tenant.contact_name, tenant.contact_email) == (None, None)
    assert [u.username for u in await tenants.list_users("acme")] == ["piet"]
    (invoice,) = await tenants.list_invoices("acme")
    assert (invoice.addressee, invoice.amount) == ("[erased]", Decimal("100"))
    closed = await dsr.close_request(tenants, request.id)
    assert closed.subject is None and not closed.is_open  # the request forgets the address too
    assert JAN not in repr(await dsr.list_requests(tenants))
    with pytest.raises(TenantError, match="is closed"):
        await dsr.erase_request(tenants, request.id)
