"""The 36-month purge with an injected clock: 35 months kept, 37 gone; invoices 6y11m kept, 7y1m gone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stkkr_tasks.store import NewErrorRecord
from stkkr_tasks.tenants import PeriodError, TenantStore
from stkkr_tasks.tenants.purge import months_before, purge_inactive
from tests.tenants.conftest import PASSWORD, add_run_once_keys, run_once_fingerprints

pytestmark = pytest.mark.anyio
NOW = datetime(2029, 12, 15, 2, 0, tzinfo=UTC)
STKKRS = {"old": ["old-sync"], "recent": ["recent-sync"]}


def _months_ago(months: int) -> datetime:
    return datetime.combine(months_before(NOW.date(), months), NOW.timetz())


async def _customer(tenants: TenantStore, tenant: str, months_inactive: int) -> None:
    await tenants.add_tenant(tenant, contact_name=f"{tenant} contact", contact_email=f"x@{tenant}.example")
    await tenants.set_tenant(tenant, {}, by_customer=True, now=_months_ago(months_inactive))
    await tenants.add_user(f"{tenant}-user", tenant, PASSWORD)
    await tenants.store.set_consent(tenant, True)
    await add_run_once_keys(tenants.store, f"{tenant}-sync", ["fp1", "fp2"])
    record = NewErrorRecord(stkkr=f"{tenant}-sync", tenant=tenant, flow_run_id=None, stage="get", row_key="k")
    await tenants.store.add_errors([record])


async def test_personal_data_goes_after_36_months_without_interaction(tenants: TenantStore) -> None:
    await _customer(tenants, "old", 37)
    await _customer(tenants, "recent", 35)
    dry = await purge_inactive(tenants, STKKRS, now=NOW, dry_run=True)
    assert dry["tenants"] == 1 and dry["users"] == 1
    assert len(await tenants.list_users()) == 2  # a dry run only counts
    counts = await purge_inactive(tenants, STKKRS, now=NOW)
    assert counts == dry
    assert counts == {
        "tenants": 1,
        "contact_persons": 1,
        "users": 1,
        "consent_settings": 1,
        "fingerprints": 2,
        "error_records": 1,
        "requests": 0,
        "invoices_anonymised": 0,
        "invoices_deleted": 0,
        "old_logins": 0,
    }
    old, recent = await tenants.get_tenant("old"), await tenants.get_tenant("recent")
    assert (old.contact_name, old.contact_email, old.purged_at) == (None, None, NOW)
    assert recent.contact_name == "recent contact" and recent.purged_at is None
    assert [u.tenant for u in await tenants.list_users()] == ["recent"]
    assert not await tenants.store.consent("old") and await tenants.store.consent("recent")
    assert await run_once_fingerprints(tenants.store, "old-sync") == set()
    assert await run_once_fingerprints(tenants.store, "recent-sync") == {"fp1", "fp2"}
    assert [r.tenant for r in await tenants.store.list_errors()] == ["recent"]
    again = await purge_inactive(tenants, STKKRS, now=NOW)
    assert set(again.values()) == {0}


async def test_a_valid_licence_keeps_the_data(tenants: TenantStore) -> None:
    await _customer(tenants, "old", 40)
    await tenants.set_tenant("old", {"licence_until": date(2030, 1, 1)})
    assert (await purge_inactive(tenants, STKKRS, now=NOW))["tenants"] == 0
    await tenants.set_tenant("old", {"licence_until": date(2029, 12, 1)})
    assert (await purge_inactive(tenants, STKKRS, now=NOW))["tenants"] == 1


async def test_invoices_stay_anonymised_for_7_years_then_go(tenants: TenantStore) -> None:
    await _customer(tenants, "old", 37)
    kept_day, gone_day = months_before(NOW.date(), 7 * 12 - 1), months_before(NOW.date(), 7 * 12 + 1)
    await tenants.add_invoice("old", "A-kept", kept_day, Decimal("10"), addressee="old contact")
    await tenants.add_invoice("old", "A-gone", gone_day, Decimal("20"), addressee="old contact")
    counts = await purge_inactive(tenants, STKKRS, now=NOW)
    assert (counts["invoices_anonymised"], counts["invoices_deleted"]) == (1, 1)
    (kept,) = await tenants.list_invoices("old")
    assert (kept.number, kept.addressee, kept.amount) == ("A-kept", "[erased]", Decimal("10"))


async def test_login_audit_older_than_36_months_goes_for_active_users_too(tenants: TenantStore) -> None:
    await _customer(tenants, "recent", 1)
    await tenants.authenticate("recent-user", PASSWORD, now=_months_ago(37))
    await tenants.authenticate("recent-user", PASSWORD, now=_months_ago(35))
    assert (await purge_inactive(tenants, STKKRS, now=NOW))["old_logins"] == 1
    user = await tenants.get_user("recent-user")
    assert [e["at"] for e in await tenants.login_events(user.id)] == [_months_ago(35).isoformat()]


async def test_periods_longer_than_promised_are_refused(tenants: TenantStore) -> None:
    with pytest.raises(PeriodError, match="37 months is refused"):
        await purge_inactive(tenants, STKKRS, now=NOW, months=37)
    with pytest.raises(PeriodError, match="tax law requires keeping invoices 7 years"):
        await purge_inactive(tenants, STKKRS, now=NOW, invoice_years=6)
    await _customer(tenants, "recent", 13)
    assert (await purge_inactive(tenants, STKKRS, now=NOW, months=12))["tenants"] == 1  # shorter is allowed
