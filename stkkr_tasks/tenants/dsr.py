"""Data-subject requests: access, rectification and erasure, answered within 5 Dutch working days.

A request names a tenant and the person by e-mail address. What stkkr holds about a person: the tenant's
contact person (name, e-mail, phone), user accounts with that e-mail and their login audit, the tenant's
consent setting, and the invoices addressed to them. Error records never hold personal data (meta-information
only; row keys are keyed fingerprints), and the export says so. Answering (export, rectify, erase, close)
counts as an interaction of the tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update

from stkkr_tasks.store._schema import invoices, subject_requests, tenants, users
from stkkr_tasks.tenants.errors import NotFoundError, TenantError
from stkkr_tasks.tenants.models import REQUEST_KINDS, SubjectRequest
from stkkr_tasks.tenants.store import TenantStore, delete_users
from stkkr_tasks.tenants.workdays import add_working_days

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ERASED = "[erased]"
ERROR_RECORDS_NOTE = (
    "Error records hold meta-information only (stkkr, run, stage, a keyed fingerprint of the row key, HTTP "
    "status, AFAS error number and log reference, a message without values): no personal data of yours."
)
RECTIFIABLE = ("contact_name", "contact_email", "contact_phone", "email")


def today_in_amsterdam(now: datetime | None = None) -> date:
    """The date in the Netherlands at `now` (default: the clock)."""
    return (now or datetime.now(UTC)).astimezone(AMSTERDAM).date()


async def open_request(
    store: TenantStore, tenant: str, kind: str, subject: str, *, now: datetime | None = None
) -> SubjectRequest:
    """Record a request received `now`, due 5 Dutch working days later.

    Raises:
        NotFoundError: No such tenant.
        TenantError: An unknown kind or an empty subject.
    """
    if kind not in REQUEST_KINDS:
        raise TenantError(f"unknown request kind {kind!r}; expected one of {', '.join(REQUEST_KINDS)}")
    if "@" not in subject:
        raise TenantError("the subject must be the person's e-mail address")
    await store.get_tenant(tenant)
    received = today_in_amsterdam(now)
    row = {
        "tenant": tenant,
        "kind": kind,
        "subject": subject.strip().lower(),
        "received_on": received,
        "due_on": add_working_days(received),
    }
    async with store.engine.begin() as connection:
        statement = subject_requests.insert().values(row).returning(subject_requests.c.id)
        request_id = (await connection.execute(statement)).scalar_one()
    return await get_request(store, request_id)


async def get_request(store: TenantStore, request_id: int, *, tenant: str | None = None) -> SubjectRequest:
    """The request with this id (of `tenant`, when given).

    Raises:
        NotFoundError: No such request (for that tenant).
    """
    query = select(subject_requests).where(subject_requests.c.id == request_id)
    if tenant is not None:
        query = query.where(subject_requests.c.tenant == tenant)
    async with store.engine.connect() as connection:
        row = (await connection.execute(query)).first()
    if row is None:
        raise NotFoundError(f"no request {request_id}")
    return SubjectRequest(**row._mapping)


async def list_requests(
    store: TenantStore,
    *,
    tenant: str | None = None,
    open_only: bool = False,
    overdue_on: date | None = None,
) -> list[SubjectRequest]:
    """Requests by due date: of `tenant`, only open ones, only those overdue on `overdue_on`."""
    query = select(subject_requests).order_by(subject_requests.c.due_on, subject_requests.c.id)
    if tenant is not None:
        query = query.where(subject_requests.c.tenant == tenant)
    if open_only or overdue_on is not None:
        query = query.where(subject_requests.c.closed_at.is_(None))
    if overdue_on is not None:
        query = query.where(subject_requests.c.due_on < overdue_on)
    async with store.engine.connect() as connection:
        return [SubjectRequest(**row._mapping) for row in await connection.execute(query)]


async def deadline_counts(store: TenantStore, today: date) -> dict[str, int]:
    """Counts of open requests: `open`, `overdue` (due before today), `due_by_tomorrow` (today, tomorrow)."""
    pending = await list_requests(store, open_only=True)
    tomorrow = today + timedelta(days=1)
    return {
        "open": len(pending),
        "overdue": sum(r.due_on < today for r in pending),
        "due_by_tomorrow": sum(today <= r.due_on <= tomorrow for r in pending),
    }


async def export_request(
    store: TenantStore, request_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """Everything held about the request's subject, as JSON-ready data; marks the request answered."""
    request = await _answerable(store, request_id)
    data = await personal_data(store, request.tenant, request.subject or "")
    await _answered(store, request, now)
    return {"request": (await get_request(store, request_id)).meta(), **data}


async def personal_data(
    store: TenantStore, tenant: str, email: str, *, username: str | None = None
) -> dict[str, Any]:
    """Every item held about the person with e-mail `email` (or user account `username`) at `tenant`.

    This is a DSR export without a request: the portal's "download my data".
    """
    email = email.strip().lower()
    record = await store.get_tenant(tenant)
    is_contact = bool(email) and (record.contact_email or "").lower() == email
    contact = None
    if is_contact:
        contact = {k: getattr(record, k) for k in ("contact_name", "contact_email", "contact_phone")}
    accounts = []
    for user in await store.list_users(tenant):
        if (email and (user.email or "").lower() == email) or user.username == username:
            accounts.append({**user.meta(), "logins": await store.login_events(user.id)})
    addressed = [
        i.meta() for i in await store.list_invoices(tenant) if is_contact and _addressed(i.addressee, record)
    ]
    return {
        "subject": email,
        "tenant": {"id": record.id, "name": record.name},
        "contact_person": contact,
        "user_accounts": accounts,
        "consent": {"store_failed_payloads": await store.store.consent(tenant)},
        "invoices_addressed_to_you": addressed,
        "error_records": ERROR_RECORDS_NOTE,
    }


async def rectify_request(
    store: TenantStore, request_id: int, changes: Mapping[str, str], *, now: datetime | None = None
) -> int:
    """Correct the subject's data: the contact person's fields and the `email` of their user accounts.

    Returns:
        How many records changed.
    """
    unknown = sorted(set(changes) - set(RECTIFIABLE))
    if unknown or not changes:
        raise TenantError(
            f"rectify one or more of {', '.join(RECTIFIABLE)} (got {', '.join(unknown) or 'none'})"
        )
    request = await _answerable(store, request_id)
    contact = {k: v for k, v in changes.items() if k.startswith("contact_")}
    changed = 0
    async with store.engine.begin() as connection:
        if contact:
            statement = update(tenants).where(_is_contact(request)).values(contact)
            changed += (await connection.execute(statement)).rowcount
        if "email" in changes:
            statement = update(users).where(_is_user(request)).values(email=changes["email"])
            changed += (await connection.execute(statement)).rowcount
    await _answered(store, request, now)
    return changed


async def erase_request(
    store: TenantStore, request_id: int, *, now: datetime | None = None
) -> dict[str, int]:
    """Erase the subject's data: their user accounts (with login audit and sessions) and, when they are the
    contact person, the contact fields; invoices addressed to them are kept with the name replaced.

    Returns:
        Counts: `user_accounts`, `contact_person` (0 or 1), `invoices_anonymised`.
    """
    request = await _answerable(store, request_id)
    record = await store.get_tenant(request.tenant)
    is_contact = (record.contact_email or "").lower() == request.subject
    async with store.engine.begin() as connection:
        accounts = await delete_users(connection, _is_user(request))
        anonymised = 0
        if is_contact and record.contact_name:
            statement = (
                update(invoices)
                .where(invoices.c.tenant == request.tenant, invoices.c.addressee == record.contact_name)
                .values(addressee=ERASED)
            )
            anonymised = (await connection.execute(statement)).rowcount
        blank = {"contact_name": None, "contact_email": None, "contact_phone": None}
        contact = (
            await connection.execute(update(tenants).where(_is_contact(request)).values(blank))
        ).rowcount
    await _answered(store, request, now)
    return {"user_accounts": accounts, "contact_person": contact, "invoices_anonymised": anonymised}


async def close_request(
    store: TenantStore, request_id: int, *, now: datetime | None = None
) -> SubjectRequest:
    """Close a request (answered now if it was not yet). An erase request forgets the subject's address."""
    request = await get_request(store, request_id)
    when = now or datetime.now(UTC)
    values: dict[str, Any] = {
        "closed_at": request.closed_at or when,
        "answered_at": request.answered_at or when,
    }
    if request.kind == "erase":
        values["subject"] = None
    async with store.engine.begin() as connection:
        await connection.execute(
            update(subject_requests).where(subject_requests.c.id == request_id).values(values)
        )
    await store.touch(request.tenant, now=when)
    return await get_request(store, request_id)


async def _answerable(store: TenantStore, request_id: int) -> SubjectRequest:
    request = await get_request(store, request_id)
    if not request.is_open or request.subject is None:
        raise TenantError(f"request {request_id} is closed")
    return request


async def _answered(store: TenantStore, request: SubjectRequest, now: datetime | None) -> None:
    when = now or datetime.now(UTC)
    statement = (
        update(subject_requests)
        .where(subject_requests.c.id == request.id, subject_requests.c.answered_at.is_(None))
        .values(answered_at=when)
    )
    async with store.engine.begin() as connection:
        await connection.execute(statement)
    await store.touch(request.tenant, now=when)


def _is_contact(request: SubjectRequest) -> Any:
    return and_(tenants.c.id == request.tenant, func.lower(tenants.c.contact_email) == request.subject)


def _is_user(request: SubjectRequest) -> Any:
    return and_(users.c.tenant == request.tenant, func.lower(users.c.email) == request.subject)


def _addressed(addressee: str | None, record: Any) -> bool:
    return addressee is not None and addressee == record.contact_name
