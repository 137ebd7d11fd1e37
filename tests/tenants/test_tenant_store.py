"""Tenants, users and invoices in the stkkr database (SQLite and PostgreSQL): logins, lockout, tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text, update

from stkkr_tasks.store._schema import users
from stkkr_tasks.tenants import ConflictError, LoginError, NotFoundError, TenantError, TenantStore
from tests.tenants.conftest import PASSWORD

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def _dump(tenants: TenantStore) -> str:
    """Every value of every stkkr table, as one text."""
    tables = ("tenants", "users", "login_events", "portal_sessions", "invoices", "subject_requests")
    async with tenants.engine.connect() as connection:
        rows = [row for table in tables for row in await connection.execute(text(f"SELECT * FROM {table}"))]
    return repr(rows)


async def test_tenants_are_added_listed_changed_and_removed(tenants: TenantStore) -> None:
    acme = await tenants.add_tenant("acme", name="Acme BV", contact_email="jan@acme.example", now=T0)
    assert (acme.name, acme.created_at, acme.last_interaction_at) == ("Acme BV", T0, T0)
    await tenants.add_tenant("globex")
    assert [t.id for t in await tenants.list_tenants()] == ["acme", "globex"]
    with pytest.raises(ConflictError, match="'acme' exists already"):
        await tenants.add_tenant("acme")
    changed = await tenants.set_tenant("acme", {"plan": "pro", "licence_until": date(2027, 1, 1)})
    assert (changed.plan, changed.licence_until, changed.last_interaction_at) == ("pro", date(2027, 1, 1), T0)
    assert changed.licence_valid(date(2026, 12, 31)) and not changed.licence_valid(date(2027, 1, 2))
    later = T0 + timedelta(days=3)
    by_customer = await tenants.set_tenant("acme", {"contact_phone": "06"}, by_customer=True, now=later)
    assert by_customer.last_interaction_at == later
    with pytest.raises(TenantError, match="unknown tenant field"):
        await tenants.set_tenant("acme", {"password_hash": "x"})
    await tenants.remove_tenant("globex")
    with pytest.raises(NotFoundError, match="no tenant 'globex'"):
        await tenants.get_tenant("globex")


async def test_a_tenant_with_invoices_is_not_removed(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme")
    invoice = await tenants.add_invoice("acme", "2026-001", date(2026, 1, 31), Decimal("1210.50"))
    assert invoice.amount == Decimal("1210.50") and invoice.meta()["amount"] == "1210.50"
    with pytest.raises(ConflictError):
        await tenants.add_invoice("acme", "2026-001", date(2026, 2, 1), Decimal("1"))
    with pytest.raises(TenantError, match="must be kept 7 years"):
        await tenants.remove_tenant("acme")
    assert [i.number for i in await tenants.list_invoices("acme")] == ["2026-001"]


async def test_passwords_are_stored_only_as_argon2id_hashes(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme")
    user = await tenants.add_user("jan", "acme", PASSWORD, email="jan@acme.example")
    assert PASSWORD not in repr(user) and "argon2" not in repr(user) and "password" not in str(user.meta())
    await tenants.authenticate("jan", PASSWORD)
    await tenants.set_password("jan", "another long password")
    dump = await _dump(tenants)
    assert PASSWORD not in dump and "another long password" not in dump
    assert "$argon2id$" in dump
    with pytest.raises(NotFoundError):
        await tenants.add_user("piet", "nobody", PASSWORD)
    with pytest.raises(ConflictError):
        await tenants.add_user("jan", None, PASSWORD)


async def test_a_login_is_checked_audited_and_counts_as_an_interaction(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme", now=T0)
    await tenants.add_user("jan", "acme", PASSWORD)
    with pytest.raises(LoginError) as wrong:
        await tenants.authenticate("jan", "wrong password", now=T0)
    with pytest.raises(LoginError) as unknown:
        await tenants.authenticate("nobody", "wrong password", now=T0)
    assert str(wrong.value) == str(unknown.value)  # no hint which usernames exist
    later = T0 + timedelta(hours=1)
    user = await tenants.authenticate("jan", PASSWORD, now=later)
    assert (user.last_login_at, user.failed_logins) == (later, 0)
    assert (await tenants.get_tenant("acme")).last_interaction_at == later
    assert [e["success"] for e in await tenants.login_events(user.id)] == [False, True]


async def test_five_failures_lock_the_account_for_fifteen_minutes(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme")
    await tenants.add_user("jan", "acme", PASSWORD)
    for attempt in range(5):
        with pytest.raises(LoginError):
            await tenants.authenticate("jan", f"wrong {attempt}", now=T0)
    assert (await tenants.get_user("jan")).locked_until == T0 + timedelta(minutes=15)
    with pytest.raises(LoginError):  # the right password does not help while locked
        await tenants.authenticate("jan", PASSWORD, now=T0 + timedelta(minutes=14))
    user = await tenants.authenticate("jan", PASSWORD, now=T0 + timedelta(minutes=16))
    assert user.locked_until is None and user.failed_logins == 0


async def test_a_hash_with_old_parameters_is_replaced_at_login(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme")
    await tenants.add_user("jan", "acme", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    async with tenants.engine.begin() as connection:
        await connection.execute(update(users).where(users.c.username == "jan").values(password_hash=weak))
    await tenants.authenticate("jan", PASSWORD)
    async with tenants.engine.connect() as connection:
        stored = (await connection.execute(select(users.c.password_hash))).scalar_one()
    assert stored != weak and stored.startswith("$argon2id$")


async def test_api_tokens_and_sessions_are_stored_as_hashes(tenants: TenantStore) -> None:
    await tenants.add_tenant("acme")
    user = await tenants.add_user("jan", "acme", PASSWORD)
    token = await tenants.create_api_token("jan")
    assert (await tenants.user_by_api_token(token)).username == "jan"  # type: ignore[union-attr]
    assert await tenants.user_by_api_token(token + "x") is None
    cookie, csrf = await tenants.start_session(user, now=T0)
    assert await tenants.session(cookie, now=T0) == (await tenants.get_user("jan"), csrf)
    assert await tenants.session(cookie, now=T0 + timedelta(hours=9)) is None  # expired
    await tenants.start_session(user, now=T0 + timedelta(hours=9))  # forgets the expired one
    assert await tenants.session(cookie, now=T0) is None
    dump = await _dump(tenants)
    assert token not in dump and cookie not in dump
    second, _ = await tenants.start_session(user, now=T0)
    await tenants.end_session(second)
    assert await tenants.session(second, now=T0) is None
    await tenants.remove_user("jan")
    assert await tenants.list_users() == []
