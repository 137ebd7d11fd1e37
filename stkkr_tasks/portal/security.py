"""Who is asking: the session cookie (pages), the API token (JSON API), CSRF checks and tenant isolation.

A session cookie is a random value (HttpOnly, SameSite=Strict, Secure behind https); the database holds only
its hash. Every form carries the session's CSRF token; the login form a double-submit token. A tenant user
reaches only their own tenant: any other tenant id answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from stkkr_tasks.tenants import NotFoundError, TenantStore, User

SESSION_COOKIE = "stkkr_session"
LOGIN_CSRF_COOKIE = "stkkr_login_csrf"


@dataclass(frozen=True)
class Session:
    """A logged-in user of the pages, with the CSRF token of their forms."""

    user: User
    csrf: str
    cookie: str


def tenants_of(request: Request) -> TenantStore:
    """The tenant store the app opened."""
    store: TenantStore = request.app.state.tenants
    return store


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    """Set a cookie that scripts cannot read, that no other site sends, and that only https carries there."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


async def page_session(request: Request) -> Session:
    """The session of a page request; without one, a redirect to the login page."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    found = await tenants_of(request).session(cookie) if cookie else None
    if found is None:
        raise HTTPException(status_code=303, headers={"Location": "/login"})
    user, csrf = found
    return Session(user, csrf, cookie)


def check_csrf(session_token: str, sent: str | None) -> None:
    """Refuse a form whose CSRF token is missing or not the expected one (403)."""
    if not sent or not session_token or not hmac.compare_digest(session_token, sent):
        raise HTTPException(status_code=403, detail="the form has expired or did not come from this portal")


async def api_user(request: Request) -> User:
    """The user of an API request, from `Authorization: Bearer <token>` (401 without a valid one)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    user = (
        await tenants_of(request).user_by_api_token(token) if scheme.lower() == "bearer" and token else None
    )
    if user is None:
        raise HTTPException(
            status_code=401, detail="a valid API token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


async def visible_tenant(request: Request, user: User, tenant: str) -> str:
    """`tenant` when `user` may see it: their own, or any existing one for an operator; else 404."""
    if user.is_operator:
        try:
            await tenants_of(request).get_tenant(tenant)
        except NotFoundError:
            raise HTTPException(status_code=404, detail="not found") from None
        return tenant
    if user.tenant != tenant:
        raise HTTPException(status_code=404, detail="not found")
    return tenant


def require_operator(user: User) -> None:
    """Operators only; others get 404, as if the page did not exist."""
    if not user.is_operator:
        raise HTTPException(status_code=404, detail="not found")
