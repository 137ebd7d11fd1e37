"""What pages and API share: a tenant's stkkrs, runs, error records, consent, and the user's own data.

Every function takes a tenant that `security.visible_tenant` already checked, and scopes what it reads to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from stkkr_tasks.portal import runs
from stkkr_tasks.store import ErrorRecord
from stkkr_tasks.tenants import NotFoundError, SubjectRequest, TenantStore, User, dsr

ERROR_LIMIT = 100


async def stkkr_or_404(tenant: str, name: str, limit: int = 20) -> runs.StkkrView:
    """The tenant's stkkr with its runs, or 404."""
    try:
        return await runs.stkkr_view(tenant, name, limit)
    except NotFoundError:
        raise HTTPException(status_code=404, detail="not found") from None


async def run_now_or_404(tenant: str, name: str) -> str:
    """Start a run of the tenant's stkkr; 404 when it is not theirs."""
    try:
        return str(await runs.run_now(tenant, name))
    except NotFoundError:
        raise HTTPException(status_code=404, detail="not found") from None


async def error_records(store: TenantStore, tenant: str, name: str) -> list[ErrorRecord]:
    """The newest error records of the tenant's stkkr (meta-information only is ever shown)."""
    await stkkr_or_404(tenant, name, limit=1)
    records = await store.store.list_errors(stkkr=name, limit=ERROR_LIMIT)
    return [r for r in records if r.tenant == tenant]


async def set_consent(store: TenantStore, user: User, tenant: str, on: bool) -> None:
    """Switch the tenant's consent; a customer's switch counts as an interaction."""
    await store.store.set_consent(tenant, on)
    if not user.is_operator:
        await store.touch(tenant)


async def my_data(store: TenantStore, user: User) -> dict[str, Any]:
    """Everything held about the logged-in customer (a DSR export of that person)."""
    if user.tenant is None:
        raise HTTPException(status_code=404, detail="not found")
    return await dsr.personal_data(store, user.tenant, user.email or "", username=user.username)


async def request_erasure(store: TenantStore, user: User) -> SubjectRequest:
    """Open an erase request for the logged-in customer's account (answered within 5 working days)."""
    if user.tenant is None:
        raise HTTPException(status_code=404, detail="not found")
    if not user.email:
        raise HTTPException(status_code=400, detail="your account has no e-mail address: ask your operator")
    return await dsr.open_request(store, user.tenant, "erase", user.email)
