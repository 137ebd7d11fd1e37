"""The portal over real HTTP: login, cookies, CSRF, lockout, and tenant isolation on every route."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest

from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore
from tests.portal.conftest import PASSWORD, Portal


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def login(portal: Portal, username: str, password: str = PASSWORD) -> httpx.Client:
    """A client logged in as `username` (cookies kept)."""
    client = httpx.Client(base_url=portal.url, follow_redirects=False)
    form = client.get("/login")
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf": _csrf(form.text)}
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def ann(portal: Portal) -> Iterator[httpx.Client]:
    client = login(portal, "ann")
    yield client
    client.close()


def _token(portal: Portal, username: str) -> str:
    async def create() -> str:
        async with ErrorStore(portal.database_url) as store:
            return await TenantStore(store).create_api_token(username)

    return asyncio.run(create())


def test_login_sets_a_strict_httponly_session_cookie_and_logout_ends_it(portal: Portal) -> None:
    client = httpx.Client(base_url=portal.url, follow_redirects=True)
    form = client.get("/login")
    answer = client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf": _csrf(form.text)})
    (cookie,) = [
        c for c in answer.history[0].headers.get_list("set-cookie") if c.startswith("stkkr_session=")
    ]
    assert "stkkr_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback; behind https the cookie is Secure
    assert answer.url.path == "/t/acme" and "Stkkrs of acme" in answer.text
    page = client.get("/t/acme")
    client.post("/logout", data={"csrf": _csrf(page.text)})
    assert client.get("/t/acme", follow_redirects=False).headers["location"] == "/login"


def test_a_wrong_password_is_refused_and_five_lock_the_account(portal: Portal) -> None:
    client = httpx.Client(base_url=portal.url)
    asyncio.run(_add_user(portal, "locky"))
    for _ in range(5):
        form = client.get("/login")
        answer = client.post(
            "/login", data={"username": "locky", "password": "wrong one!", "csrf": _csrf(form.text)}
        )
        assert answer.status_code == 401 and "wrong username or password" in answer.text.lower()
    form = client.get("/login")
    locked = client.post("/login", data={"username": "locky", "password": PASSWORD, "csrf": _csrf(form.text)})
    assert locked.status_code == 401  # the right password, but the account is locked for 15 minutes


async def _add_user(portal: Portal, username: str, email: str | None = None) -> None:
    async with ErrorStore(portal.database_url) as store:
        await TenantStore(store).add_user(username, "acme", PASSWORD, email=email)


def test_every_form_needs_its_csrf_token(portal: Portal, ann: httpx.Client) -> None:
    name = portal.stkkrs["acme"]
    for path in ("/t/acme/consent", f"/t/acme/stkkrs/{name}/run", "/t/acme/api-token", "/logout"):
        assert ann.post(path, data={}).status_code == 403, path
        assert ann.post(path, data={"csrf": "forged"}).status_code == 403, path
    login_page = httpx.get(f"{portal.url}/login")
    forged = httpx.post(
        f"{portal.url}/login", data={"username": "ann", "password": PASSWORD, "csrf": _csrf(login_page.text)}
    )
    assert forged.status_code == 403  # the login token must match its cookie
    no_user = httpx.post(f"{portal.url}/login", data={"password": "Secret-1234567"})
    assert no_user.status_code == 422 and "username: Field required" in no_user.text
    assert "Secret-1234567" not in no_user.text  # a refused form is never echoed


def _routes(portal: Portal, tenant: str) -> list[tuple[str, str]]:
    name = portal.stkkrs.get(tenant, "no-such-stkkr")
    return [
        ("GET", f"/t/{tenant}"),
        ("GET", f"/t/{tenant}/stkkrs/{name}"),
        ("GET", f"/t/{tenant}/stkkrs/{name}/errors"),
        ("POST", f"/t/{tenant}/stkkrs/{name}/run"),
        ("GET", f"/t/{tenant}/account"),
        ("POST", f"/t/{tenant}/consent"),
        ("GET", f"/t/{tenant}/my-data"),
        ("POST", f"/t/{tenant}/api-token"),
        ("POST", f"/t/{tenant}/delete-account"),
    ]


def test_a_customer_reaches_nothing_of_another_tenant_on_any_page(portal: Portal, ann: httpx.Client) -> None:
    csrf = _csrf(ann.get("/t/acme").text)
    for method, path in _routes(portal, "globex") + _routes(portal, "nobody"):
        answer = ann.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        assert answer.status_code == 404, (method, path)
        assert "Globex" not in answer.text and portal.stkkrs["globex"] not in answer.text
    globex_stkkr = portal.stkkrs["globex"]
    for method, path in _routes(portal, "acme")[1:4]:  # acme's routes with globex's stkkr guessed in
        guessed = path.replace(portal.stkkrs["acme"], globex_stkkr)
        answer = ann.request(method, guessed, data={"csrf": csrf} if method == "POST" else None)
        assert answer.status_code == 404, (method, guessed)
    for method, path in _routes(portal, "acme")[:-1]:  # the last one would open an erase request
        answer = ann.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        assert answer.status_code in (200, 303), (method, path)
    assert ann.get("/").headers["location"] == "/t/acme"  # the operator's overview is not for customers


def test_a_customer_sees_only_their_own_stkkrs_runs_and_errors(portal: Portal, ann: httpx.Client) -> None:
    page = ann.get("/t/acme").text
    assert portal.stkkrs["acme"] in page and portal.stkkrs["globex"] not in page
    assert "Completed" in page and "written" in page
    errors = ann.get(f"/t/acme/stkkrs/{portal.stkkrs['acme']}/errors").text
    assert "LOG-1" in errors and "Meta-information only" in errors


def test_the_operator_sees_every_tenant_and_the_open_requests(portal: Portal) -> None:
    ops = login(portal, "ops")
    page = ops.get("/").text
    assert "Acme BV" in page and "Globex NV" in page and "Open data-subject requests" in page
    assert portal.stkkrs["globex"] in ops.get("/t/globex").text
    assert ops.get("/t/nobody").status_code == 404


def _api_routes(portal: Portal, tenant: str) -> list[tuple[str, str]]:
    name = portal.stkkrs[tenant]
    base = f"/api/tenants/{tenant}"
    return [
        ("GET", f"{base}/stkkrs"),
        ("GET", f"{base}/stkkrs/{name}"),
        ("GET", f"{base}/stkkrs/{name}/errors"),
        ("POST", f"{base}/stkkrs/{name}/run"),
        ("GET", f"{base}/consent"),
        ("PUT", f"{base}/consent"),
    ]


def test_the_api_needs_a_token_and_keeps_tenants_apart(portal: Portal) -> None:
    assert httpx.get(f"{portal.url}/api/me").status_code == 401
    assert (
        httpx.get(f"{portal.url}/api/me", headers={"Authorization": "Bearer stkkr_guess"}).status_code == 401
    )
    headers = {"Authorization": f"Bearer {_token(portal, 'ann')}"}
    api = httpx.Client(base_url=portal.url, headers=headers)
    assert api.get("/api/me").json()["username"] == "ann"
    assert [t["id"] for t in api.get("/api/tenants").json()] == ["acme"]
    body = {"store_failed_payloads": False}
    for method, path in _api_routes(portal, "globex"):
        assert api.request(method, path, json=body).status_code == 404, (method, path)
    guessed = f"/api/tenants/acme/stkkrs/{portal.stkkrs['globex']}/run"
    assert api.post(guessed).status_code == 404
    assert api.get("/api/requests").status_code == 404  # operators only
    stkkrs = {
        s["name"]: s for s in api.get("/api/tenants/acme/stkkrs").json()
    }  # other tests deploy for acme too
    assert portal.stkkrs["globex"] not in stkkrs
    stkkr = stkkrs[portal.stkkrs["acme"]]
    assert stkkr["schedule"] == "every 3600s"
    run = next(r for r in stkkr["runs"] if r["state"] == "Completed")
    assert run["read"] == run["filtered_out"] + run["skipped"] + run["written"] + run["failed"] > 0
    started = api.post(f"/api/tenants/acme/stkkrs/{portal.stkkrs['acme']}/run")
    assert started.status_code == 202 and started.json()["flow_run_id"]
    data = api.get("/api/my-data").json()
    assert data["user_accounts"][0]["username"] == "ann" and "password" not in str(data)
    (record,) = api.get(f"/api/tenants/acme/stkkrs/{portal.stkkrs['acme']}/errors").json()
    assert record["profit_log_reference"] == "LOG-1" and "payload" not in record
    ops = httpx.Client(base_url=portal.url, headers={"Authorization": f"Bearer {_token(portal, 'ops')}"})
    assert {t["id"] for t in ops.get("/api/tenants").json()} == {"acme", "globex"}
    assert ops.get("/api/requests").status_code == 200


def test_delete_my_account_opens_an_erase_request_the_operator_sees(portal: Portal) -> None:
    asyncio.run(_add_user(portal, "leaver", email="leaver@acme.example"))
    leaver = login(portal, "leaver")
    answer = leaver.post("/t/acme/delete-account", data={"csrf": _csrf(leaver.get("/t/acme/account").text)})
    assert answer.status_code == 200 and "Your request" in answer.text
    overview = login(portal, "ops").get("/").text
    assert "leaver@acme.example" in overview and "erase" in overview
