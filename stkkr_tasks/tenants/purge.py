"""The 36-month purge: a customer without a valid licence and without interaction for 36 months loses its
personal data; its invoices stay, anonymised, until 7 years after their date (tax law), then go.

Interaction is a login, a change by the customer, or an answered data-subject request (`Tenant.
last_interaction_at`). Personal data: the contact person, the users (with their login audit and sessions),
the consent setting, the run-once fingerprints of the tenant's stkkrs, its error records and its closed
data-subject requests. Every user's login audit is kept for the personal-data period only. Periods longer than
promised are refused; a shorter personal-data period is allowed.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from stkkr_tasks.store._schema import (
    error_records,
    invoices,
    login_events,
    run_once_keys,
    subject_requests,
    tenant_settings,
    tenants,
    users,
)
from stkkr_tasks.tenants.dsr import ERASED, today_in_amsterdam
from stkkr_tasks.tenants.errors import PeriodError
from stkkr_tasks.tenants.models import Tenant
from stkkr_tasks.tenants.store import TenantStore, delete_users

PERSONAL_DATA_MONTHS = 36
INVOICE_YEARS = 7
COUNTS = (
    "tenants",
    "contact_persons",
    "users",
    "consent_settings",
    "fingerprints",
    "error_records",
    "requests",
    "invoices_anonymised",
    "invoices_deleted",
    "old_logins",
)


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def check_periods(months: int, invoice_years: int) -> None:
    """Refuse periods other than the promised ones: personal data at most 36 months, invoices exactly 7 years.

    Raises:
        PeriodError: With what is allowed and why.
    """
    if not 1 <= months <= PERSONAL_DATA_MONTHS:
        raise PeriodError(
            f"a personal-data period of {months} months is refused: stkkr promises removal after "
            f"{PERSONAL_DATA_MONTHS} months without interaction; choose 1 to {PERSONAL_DATA_MONTHS}"
        )
    if invoice_years != INVOICE_YEARS:
        raise PeriodError(
            f"an invoice period of {invoice_years} years is refused: tax law requires keeping invoices "
            f"{INVOICE_YEARS} years, and stkkr promises to delete them then"
        )


@dataclass(frozen=True)
class PurgeCutoffs:
    """What the purge removes on a given day."""

    now: datetime  # when the purge runs
    inactive_before: datetime  # no interaction since this moment
    today: date  # licences are checked for this day
    invoices_before: date  # invoices dated before this day go (of purged tenants)


def cutoffs(
    now: datetime, months: int = PERSONAL_DATA_MONTHS, invoice_years: int = INVOICE_YEARS
) -> PurgeCutoffs:
    """The cutoffs of a purge at `now` (aware)."""
    check_periods(months, invoice_years)
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    today = today_in_amsterdam(now)
    inactive = datetime.combine(months_before(today, months), now.astimezone(UTC).timetz())
    return PurgeCutoffs(now, inactive, today, months_before(today, invoice_years * 12))


def is_inactive(tenant: Tenant, at: PurgeCutoffs) -> bool:
    """Without a valid licence today and without interaction since the cutoff."""
    return not tenant.licence_valid(at.today) and tenant.last_interaction_at < at.inactive_before


async def purge_inactive(
    store: TenantStore,
    stkkrs_of: Mapping[str, Collection[str]],
    *,
    now: datetime | None = None,
    months: int = PERSONAL_DATA_MONTHS,
    invoice_years: int = INVOICE_YEARS,
    dry_run: bool = False,
) -> dict[str, int]:
    """Remove the personal data of inactive tenants and the invoices older than 7 years of purged ones.

    Args:
        store: The open tenant store.
        stkkrs_of: The stkkr names of each tenant (their run-once fingerprints are removed).
        now: The current time (aware; injected by tests).
        months: Personal-data period, at most 36.
        invoice_years: Invoice period: 7.
        dry_run: Only count.

    Returns:
        Counts only, one per item of `COUNTS`.
    """
    at = cutoffs(now or datetime.now(UTC), months, invoice_years)
    inactive = [t for t in await store.list_tenants() if is_inactive(t, at)]
    totals = dict.fromkeys(COUNTS, 0)
    async with store.engine.begin() as connection:
        for tenant in inactive:
            counts = await _purge_tenant(connection, tenant, stkkrs_of.get(tenant.id, ()), at, dry_run)
            for name, count in counts.items():
                totals[name] += count
        totals["old_logins"] = await _prune_old_logins(connection, at, dry_run)
    return totals


async def _prune_old_logins(connection: Any, at: PurgeCutoffs, dry_run: bool) -> int:
    """The login audit of active users, too, is kept only for the personal-data period."""
    old = login_events.c.at < at.inactive_before
    if dry_run:
        return int(
            (await connection.execute(select(func.count()).select_from(login_events).where(old))).scalar_one()
        )
    return int((await connection.execute(delete(login_events).where(old))).rowcount)


async def _purge_tenant(
    connection: Any, tenant: Tenant, stkkrs: Collection[str], at: PurgeCutoffs, dry_run: bool
) -> dict[str, int]:
    mine = tenants.c.id == tenant.id
    old_invoices = (invoices.c.tenant == tenant.id) & (invoices.c.date < at.invoices_before)
    named_invoices = (invoices.c.tenant == tenant.id) & (invoices.c.addressee != ERASED)
    targets = {
        "users": (users, users.c.tenant == tenant.id),
        "consent_settings": (tenant_settings, tenant_settings.c.tenant == tenant.id),
        "fingerprints": (run_once_keys, run_once_keys.c.stkkr.in_(list(stkkrs))),
        "error_records": (error_records, error_records.c.tenant == tenant.id),
        "requests": (subject_requests, subject_requests.c.tenant == tenant.id),
        "invoices_deleted": (invoices, old_invoices),
        "invoices_anonymised": (invoices, named_invoices & ~old_invoices),
    }
    counts = {"tenants": int(tenant.purged_at is None), "contact_persons": int(_has_contact(tenant))}
    for name, (table, condition) in targets.items():
        counts[name] = (
            await connection.execute(select(func.count()).select_from(table).where(condition))
        ).scalar_one()
    if dry_run:
        return counts
    await delete_users(connection, users.c.tenant == tenant.id)
    for name in ("consent_settings", "fingerprints", "error_records", "requests", "invoices_deleted"):
        table, condition = targets[name]
        await connection.execute(delete(table).where(condition))
    await connection.execute(update(invoices).where(named_invoices).values(addressee=ERASED))
    blank = {"contact_name": None, "contact_email": None, "contact_phone": None}
    await connection.execute(
        update(tenants).where(mine).values(**blank, purged_at=tenant.purged_at or at.now)
    )
    return counts


def _has_contact(tenant: Tenant) -> bool:
    return any((tenant.contact_name, tenant.contact_email, tenant.contact_phone))
