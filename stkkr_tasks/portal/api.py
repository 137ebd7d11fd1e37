"""The portal's JSON API under `/api/`: the same data as the pages, for a `Bearer` API token of a user.

Tokens are made in the portal (account page) or with `stkkr user token`; only their hashes are stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from stkkr_tasks.portal import runs, service
from stkkr_tasks.portal.security import api_user, require_operator, tenants_of, visible_tenant
from stkkr_tasks.tenants import User, dsr

router = APIRouter(prefix="/api")
ApiUser = Annotated[User, Depends(api_user)]


class ConsentBody(BaseModel):
    """The consent switch."""

    store_failed_payloads: bool


@router.get("/me")
async def me(user: ApiUser) -> dict[str, Any]:
    """The token's user."""
    return user.meta()


@router.get("/tenants")
async def tenants(request: Request, user: ApiUser) -> list[dict[str, Any]]:
    """The tenants the user may see: their own, or every one for an operator."""
    store = tenants_of(request)
    if user.tenant is not None:
        return [(await store.get_tenant(user.tenant)).meta()]
    return [t.meta() for t in await store.list_tenants()]


@router.get("/tenants/{tenant}/stkkrs")
async def stkkrs(request: Request, tenant: str, user: ApiUser) -> list[dict[str, Any]]:
    """The tenant's stkkrs with schedule, next run and last runs."""
    await visible_tenant(request, user, tenant)
    return [view.to_json() for view in await runs.tenant_stkkrs(tenant)]


@router.get("/tenants/{tenant}/stkkrs/{name}")
async def stkkr(request: Request, tenant: str, name: str, user: ApiUser) -> dict[str, Any]:
    """One stkkr with its run history."""
    await visible_tenant(request, user, tenant)
    return (await service.stkkr_or_404(tenant, name)).to_json()


@router.get("/tenants/{tenant}/stkkrs/{name}/errors")
async def errors(request: Request, tenant: str, name: str, user: ApiUser) -> list[dict[str, Any]]:
    """The stkkr's error records: meta-information only, never a payload."""
    await visible_tenant(request, user, tenant)
    return [record.meta() for record in await service.error_records(tenants_of(request), tenant, name)]


@router.post("/tenants/{tenant}/stkkrs/{name}/run", status_code=202)
async def run(request: Request, tenant: str, name: str, user: ApiUser) -> dict[str, str]:
    """Start a run now; answers the flow run id."""
    await visible_tenant(request, user, tenant)
    return {"flow_run_id": await service.run_now_or_404(tenant, name)}


@router.get("/tenants/{tenant}/consent")
async def consent(request: Request, tenant: str, user: ApiUser) -> dict[str, bool]:
    """The tenant's consent to storing failed payloads."""
    await visible_tenant(request, user, tenant)
    return {"store_failed_payloads": await tenants_of(request).store.consent(tenant)}


@router.put("/tenants/{tenant}/consent")
async def set_consent(request: Request, tenant: str, body: ConsentBody, user: ApiUser) -> dict[str, bool]:
    """Switch the tenant's consent."""
    await visible_tenant(request, user, tenant)
    await service.set_consent(tenants_of(request), user, tenant, body.store_failed_payloads)
    return {"store_failed_payloads": body.store_failed_payloads}


@router.get("/my-data")
async def my_data(request: Request, user: ApiUser) -> dict[str, Any]:
    """Everything held about the token's user."""
    return await service.my_data(tenants_of(request), user)


@router.post("/delete-my-account", status_code=202)
async def delete_my_account(request: Request, user: ApiUser) -> dict[str, Any]:
    """Open an erase request for the token's user."""
    return (await service.request_erasure(tenants_of(request), user)).meta()


@router.get("/requests")
async def requests(request: Request, user: ApiUser) -> list[dict[str, Any]]:
    """The open data-subject requests (operators only)."""
    require_operator(user)
    today = dsr.today_in_amsterdam()
    return [r.meta(today) for r in await dsr.list_requests(tenants_of(request), open_only=True)]
