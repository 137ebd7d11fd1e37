"""Customers (tenants), their users (Argon2id password hashes), invoices, data-subject requests and the
36-month purge, in the stkkr database. The CLI (`stkkr tenant|user|invoice|dsr`), the flows `dsr-deadlines`
and `purge-inactive-customers`, and the portal are thin layers over this package.
"""

from __future__ import annotations

from stkkr_tasks.tenants.errors import ConflictError, LoginError, NotFoundError, PeriodError, TenantError
from stkkr_tasks.tenants.models import REQUEST_KINDS, Invoice, SubjectRequest, Tenant, User
from stkkr_tasks.tenants.store import LOCKOUT, MAX_FAILED_LOGINS, TenantStore
from stkkr_tasks.tenants.workdays import add_working_days, is_working_day

__all__ = [
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "REQUEST_KINDS",
    "ConflictError",
    "Invoice",
    "LoginError",
    "NotFoundError",
    "PeriodError",
    "SubjectRequest",
    "Tenant",
    "TenantError",
    "TenantStore",
    "User",
    "add_working_days",
    "is_working_day",
]
