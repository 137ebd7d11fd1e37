"""The portal's HTML pages: login, the operator's overview, a tenant's stkkrs, runs, errors, account."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from stkkr_tasks.portal import runs, service
from stkkr_tasks.portal.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Session,
    check_csrf,
    page_session,
    set_cookie,
    tenants_of,
    visible_tenant,
)
from stkkr_tasks.tenants import LoginError, dsr
from stkkr_tasks.tenants.store import SESSION_LIFETIME

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
router = APIRouter()
CurrentSession = Annotated[Session, Depends(page_session)]
CsrfField = Annotated[str | None, Form()]
NOTICES = {
    "consent-on": "Failed payloads are now stored, encrypted, with their error records.",
    "consent-off": "Failed payloads are no longer stored.",
    "run-started": "The run was started; it shows here once it begins.",
}


def _render(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    values = {"session": session, "notice": notice, **context}
    return templates.TemplateResponse(request, template, values, status_code=status)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    """The login form, with a double-submit CSRF token."""
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _render(request, "login.html", None, status, csrf=token, error=error)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: CsrfField = None,
) -> Response:
    """Check the password (Argon2); 5 failures lock the account for 15 minutes."""
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf)
    store = tenants_of(request)
    try:
        user = await store.authenticate(username, password)
    except LoginError as exc:
        return _login_form(request, str(exc).capitalize() + ".", status=401)
    cookie, _ = await store.start_session(user)
    response = _redirect("/")
    set_cookie(request, response, SESSION_COOKIE, cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, session: CurrentSession, csrf: CsrfField = None) -> Response:
    """End the session."""
    check_csrf(session.csrf, csrf)
    await tenants_of(request).end_session(session.cookie)
    response = _redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: CurrentSession) -> Response:
    """A customer goes to their stkkrs; the operator sees every tenant and the open requests."""
    if session.user.tenant is not None:
        return _redirect(f"/t/{session.user.tenant}")
    store = tenants_of(request)
    today = dsr.today_in_amsterdam()
    requests = await dsr.list_requests(store, open_only=True)
    return _render(
        request, "operator.html", session, tenants=await store.list_tenants(), requests=requests, today=today
    )


@router.get("/t/{tenant}", response_class=HTMLResponse)
async def tenant_page(request: Request, tenant: str, session: CurrentSession) -> HTMLResponse:
    """The tenant's stkkrs with schedule, next run, last runs and a run-now button."""
    await visible_tenant(request, session.user, tenant)
    stkkrs = await runs.tenant_stkkrs(tenant)
    return _render(request, "tenant.html", session, tenant=tenant, stkkrs=stkkrs)


@router.get("/t/{tenant}/stkkrs/{name}", response_class=HTMLResponse)
async def stkkr_page(request: Request, tenant: str, name: str, session: CurrentSession) -> HTMLResponse:
    """One stkkr's run history with the summary counts."""
    await visible_tenant(request, session.user, tenant)
    stkkr = await service.stkkr_or_404(tenant, name)
    return _render(request, "stkkr.html", session, tenant=tenant, stkkr=stkkr)


@router.get("/t/{tenant}/stkkrs/{name}/errors", response_class=HTMLResponse)
async def errors_page(request: Request, tenant: str, name: str, session: CurrentSession) -> HTMLResponse:
    """One stkkr's error records: meta-information only."""
    await visible_tenant(request, session.user, tenant)
    records = await service.error_records(tenants_of(request), tenant, name)
    return _render(request, "errors.html", session, tenant=tenant, name=name, records=records)


@router.post("/t/{tenant}/stkkrs/{name}/run")
async def run_now(
    request: Request, tenant: str, name: str, session: CurrentSession, csrf: CsrfField = None
) -> Response:
    """Start a run of the stkkr now."""
    check_csrf(session.csrf, csrf)
    await visible_tenant(request, session.user, tenant)
    await service.run_now_or_404(tenant, name)
    return _redirect(f"/t/{tenant}/stkkrs/{name}?notice=run-started")


@router.get("/t/{tenant}/account", response_class=HTMLResponse)
async def account_page(request: Request, tenant: str, session: CurrentSession) -> HTMLResponse:
    """Consent, my data, API token, delete my account."""
    await visible_tenant(request, session.user, tenant)
    consent = await tenants_of(request).store.consent(tenant)
    return _render(request, "account.html", session, tenant=tenant, consent=consent)


@router.post("/t/{tenant}/consent")
async def consent(
    request: Request,
    tenant: str,
    session: CurrentSession,
    store_failed_payloads: Annotated[str, Form()] = "off",
    csrf: CsrfField = None,
) -> Response:
    """Switch the tenant's consent to storing failed payloads (encrypted)."""
    check_csrf(session.csrf, csrf)
    await visible_tenant(request, session.user, tenant)
    on = store_failed_payloads == "on"
    await service.set_consent(tenants_of(request), session.user, tenant, on)
    return _redirect(f"/t/{tenant}/account?notice=consent-{'on' if on else 'off'}")


@router.get("/t/{tenant}/my-data")
async def my_data(request: Request, tenant: str, session: CurrentSession) -> Response:
    """Download everything held about the logged-in person, as JSON."""
    await visible_tenant(request, session.user, tenant)
    data = await service.my_data(tenants_of(request), session.user)
    headers = {
        "Content-Disposition": 'attachment; filename="my-stkkr-data.json"',
        "Cache-Control": "no-store",
    }
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False), media_type="application/json", headers=headers
    )


@router.post("/t/{tenant}/api-token", response_class=HTMLResponse)
async def api_token(
    request: Request, tenant: str, session: CurrentSession, csrf: CsrfField = None
) -> HTMLResponse:
    """Create an API token and show it once."""
    check_csrf(session.csrf, csrf)
    await visible_tenant(request, session.user, tenant)
    store = tenants_of(request)
    token = await store.create_api_token(session.user.username)
    if not session.user.is_operator:
        await store.touch(tenant)
    consent = await store.store.consent(tenant)
    response = _render(request, "account.html", session, tenant=tenant, consent=consent, api_token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/t/{tenant}/delete-account", response_class=HTMLResponse)
async def delete_account(
    request: Request, tenant: str, session: CurrentSession, csrf: CsrfField = None
) -> HTMLResponse:
    """Open an erase request for the logged-in person's account."""
    check_csrf(session.csrf, csrf)
    await visible_tenant(request, session.user, tenant)
    if session.user.is_operator:
        raise HTTPException(status_code=404, detail="not found")
    request_ = await service.request_erasure(tenants_of(request), session.user)
    store = tenants_of(request)
    consent = await store.store.consent(tenant)
    return _render(request, "account.html", session, tenant=tenant, consent=consent, erase_request=request_)
