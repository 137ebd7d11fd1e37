"""Customers as plain data: tenants, users, invoices and data-subject requests, as stored and as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

RequestKind = Literal["access", "rectify", "erase"]
REQUEST_KINDS: tuple[RequestKind, ...] = ("access", "rectify", "erase")


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class Tenant:
    """A customer. The contact person's name, e-mail and phone are personal data (removed by the purge)."""

    id: str
    name: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    plan: str | None
    licence_from: date | None
    licence_until: date | None
    created_at: datetime
    last_interaction_at: datetime
    purged_at: datetime | None

    def licence_valid(self, on: date) -> bool:
        """Whether the licence covers the day `on`."""
        if self.licence_from is None and self.licence_until is None:
            return False
        started = self.licence_from is None or self.licence_from <= on
        return started and (self.licence_until is None or on <= self.licence_until)

    def meta(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "id": self.id,
            "name": self.name,
            "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
            "plan": self.plan,
            "licence_from": _iso(self.licence_from),
            "licence_until": _iso(self.licence_until),
            "created_at": _iso(self.created_at),
            "last_interaction_at": _iso(self.last_interaction_at),
            "purged_at": _iso(self.purged_at),
        }


@dataclass(frozen=True, slots=True)
class User:
    """A portal user of one tenant, or an operator (`tenant` None) who sees every tenant.

    The password hash and the API token hash are left out of `repr` and `meta()`.
    """

    id: int
    username: str
    tenant: str | None
    email: str | None
    created_at: datetime
    last_login_at: datetime | None
    failed_logins: int
    locked_until: datetime | None
    password_hash: str = field(repr=False)
    api_token_hash: str | None = field(default=None, repr=False)

    @property
    def is_operator(self) -> bool:
        """Operators have no tenant and see all of them."""
        return self.tenant is None

    def meta(self) -> dict[str, Any]:
        """JSON-ready values, without any hash."""
        return {
            "id": self.id,
            "username": self.username,
            "tenant": self.tenant,
            "role": "operator" if self.is_operator else "customer",
            "email": self.email,
            "created_at": _iso(self.created_at),
            "last_login_at": _iso(self.last_login_at),
            "failed_logins": self.failed_logins,
            "locked_until": _iso(self.locked_until),
            "has_api_token": self.api_token_hash is not None,
        }


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice, kept 7 years after its date (tax law); `addressee` is replaced on erasure."""

    id: int
    number: str
    tenant: str
    date: date
    amount: Decimal
    addressee: str | None

    def meta(self) -> dict[str, Any]:
        """JSON-ready values (the amount as text, exactly)."""
        return {
            "id": self.id,
            "number": self.number,
            "tenant": self.tenant,
            "date": self.date.isoformat(),
            "amount": str(self.amount),
            "addressee": self.addressee,
        }


@dataclass(frozen=True, slots=True)
class SubjectRequest:
    """A data-subject request (access, rectify or erase), due 5 Dutch working days after receipt."""

    id: int
    tenant: str
    kind: str
    subject: str | None
    received_on: date
    due_on: date
    answered_at: datetime | None
    closed_at: datetime | None
    note: str | None

    @property
    def is_open(self) -> bool:
        """Not closed yet."""
        return self.closed_at is None

    def overdue(self, today: date) -> bool:
        """Open and past its due date on `today`."""
        return self.is_open and self.due_on < today

    def meta(self, today: date | None = None) -> dict[str, Any]:
        """JSON-ready values; with `today`, also whether it is overdue."""
        data = {
            "id": self.id,
            "tenant": self.tenant,
            "kind": self.kind,
            "subject": self.subject,
            "received_on": self.received_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "answered_at": _iso(self.answered_at),
            "closed_at": _iso(self.closed_at),
            "note": self.note,
            "status": "open" if self.is_open else "closed",
        }
        if today is not None:
            data["overdue"] = self.overdue(today)
        return data
