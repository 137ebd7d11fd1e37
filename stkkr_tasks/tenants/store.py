"""`TenantStore`: tenants, users, logins, portal sessions and invoices in the stkkr database.

It works on an open `ErrorStore` (the same database, SQLite or PostgreSQL, migrated by Alembic). Every method
takes an optional `now` so tests can inject the clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import anyio
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stkkr_tasks.store import ErrorStore
from stkkr_tasks.store._schema import (
    invoices,
    login_events,
    portal_sessions,
    subject_requests,
    tenant_settings,
    tenants,
    users,
)
from stkkr_tasks.tenants.errors import ConflictError, LoginError, NotFoundError, TenantError
from stkkr_tasks.tenants.models import Invoice, Tenant, User
from stkkr_tasks.tenants.passwords import (
    dummy_verify,
    hash_password,
    new_api_token,
    token_hash,
    verify_password,
)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
TENANT_FIELDS = (
    "name",
    "contact_name",
    "contact_email",
    "contact_phone",
    "plan",
    "licence_from",
    "licence_until",
)
_LOGIN_FAILED = "wrong username or password, or the account is locked for a while"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


class TenantStore:
    """Customers in the stkkr database.

    Example:
        ```python
        async with ErrorStore() as db:
            tenants = TenantStore(db)
            await tenants.add_tenant("acme", name="Acme BV", contact_email="jan@acme.example")
            user = await tenants.add_user("jan", "acme", password)
        ```
    """

    def __init__(self, store: ErrorStore) -> None:
        self.store = store

    @property
    def engine(self) -> AsyncEngine:
        """The open engine of the stkkr database."""
        return self.store.engine

    # -- tenants ---------------------------------------------------------------------------------------

    async def add_tenant(self, tenant_id: str, *, now: datetime | None = None, **fields: Any) -> Tenant:
        """Add a tenant; `fields` are any of `TENANT_FIELDS` (`name` defaults to the id).

        Raises:
            ConflictError: The id exists.
        """
        _check_fields(fields)
        when = _now(now)
        row = {"id": tenant_id, "name": tenant_id, **fields, "created_at": when, "last_interaction_at": when}
        try:
            async with self.engine.begin() as connection:
                await connection.execute(tenants.insert().values(row))
        except IntegrityError:
            raise ConflictError(f"tenant {tenant_id!r} exists already") from None
        return await self.get_tenant(tenant_id)

    async def get_tenant(self, tenant_id: str) -> Tenant:
        """The tenant with this id.

        Raises:
            NotFoundError: No such tenant.
        """
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(tenants).where(tenants.c.id == tenant_id))).first()
        if row is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        return Tenant(**row._mapping)

    async def list_tenants(self) -> list[Tenant]:
        """Every tenant, by id."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(tenants).order_by(tenants.c.id))
            return [Tenant(**row._mapping) for row in rows]

    async def set_tenant(
        self,
        tenant_id: str,
        changes: Mapping[str, Any],
        *,
        by_customer: bool = False,
        now: datetime | None = None,
    ) -> Tenant:
        """Change fields of a tenant (any of `TENANT_FIELDS`); `by_customer` counts as an interaction.

        Raises:
            NotFoundError: No such tenant.
        """
        _check_fields(changes)
        values = dict(changes)
        if by_customer:
            values["last_interaction_at"] = _now(now)
        if values:
            async with self.engine.begin() as connection:
                result = await connection.execute(
                    update(tenants).where(tenants.c.id == tenant_id).values(values)
                )
            if result.rowcount == 0:
                raise NotFoundError(f"no tenant {tenant_id!r}")
        return await self.get_tenant(tenant_id)

    async def touch(self, tenant_id: str | None, *, now: datetime | None = None) -> None:
        """Record an interaction of the tenant (a login, a change by the customer, an answered request)."""
        if tenant_id is None:
            return
        async with self.engine.begin() as connection:
            await connection.execute(
                update(tenants).where(tenants.c.id == tenant_id).values(last_interaction_at=_now(now))
            )

    async def remove_tenant(self, tenant_id: str) -> None:
        """Delete a tenant with its users, their logins and sessions, and its consent setting.

        Raises:
            NotFoundError: No such tenant.
            TenantError: It still has invoices (kept 7 years by law; the purge anonymises them instead).
        """
        await self.get_tenant(tenant_id)
        async with self.engine.begin() as connection:
            count = select(func.count()).select_from(invoices).where(invoices.c.tenant == tenant_id)
            if (await connection.execute(count)).scalar_one():
                raise TenantError(
                    f"tenant {tenant_id!r} has invoices, which must be kept 7 years: it cannot be removed; "
                    "`stkkr dsr erase` or the purge removes its personal data and keeps the invoices"
                )
            await delete_users(connection, users.c.tenant == tenant_id)
            await connection.execute(delete(tenant_settings).where(tenant_settings.c.tenant == tenant_id))
            await connection.execute(delete(subject_requests).where(subject_requests.c.tenant == tenant_id))
            await connection.execute(delete(tenants).where(tenants.c.id == tenant_id))

    # -- users -----------------------------------------------------------------------------------------

    async def add_user(
        self,
        username: str,
        tenant: str | None,
        password: str,
        *,
        email: str | None = None,
        now: datetime | None = None,
    ) -> User:
        """Add a user of `tenant` (None: an operator) with an Argon2id hash of `password`.

        Raises:
            NotFoundError: No such tenant.
            ConflictError: The username is taken.
            ValueError: The password is too short.
        """
        if tenant is not None:
            await self.get_tenant(tenant)
        row = {
            "username": username,
            "tenant": tenant,
            "email": email,
            "password_hash": hash_password(password),
            "created_at": _now(now),
            "failed_logins": 0,
        }
        try:
            async with self.engine.begin() as connection:
                await connection.execute(users.insert().values(row))
        except IntegrityError:
            raise ConflictError(f"user {username!r} exists already") from None
        return await self.get_user(username)

    async def get_user(self, username: str) -> User:
        """The user with this username.

        Raises:
            NotFoundError: No such user.
        """
        user = await self._user_where(users.c.username == username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        return user

    async def list_users(self, tenant: str | None = None) -> list[User]:
        """Every user (of `tenant`, when given), by username."""
        query = select(users).order_by(users.c.username)
        if tenant is not None:
            query = query.where(users.c.tenant == tenant)
        async with self.engine.connect() as connection:
            return [User(**row._mapping) for row in await connection.execute(query)]

    async def set_password(self, username: str, password: str) -> None:
        """Replace a user's password (and unlock the account).

        Raises:
            NotFoundError: No such user.
            ValueError: The password is too short.
        """
        values = {"password_hash": hash_password(password), "failed_logins": 0, "locked_until": None}
        await self._update_user(username, values)

    async def remove_user(self, username: str) -> None:
        """Delete a user with their login audit and sessions.

        Raises:
            NotFoundError: No such user.
        """
        await self.get_user(username)
        async with self.engine.begin() as connection:
            await delete_users(connection, users.c.username == username)

    async def authenticate(self, username: str, password: str, *, now: datetime | None = None) -> User:
        """Check a login: Argon2 verification, lockout after 5 failures for 15 minutes, audit, re-hash.

        A success resets the failure count, records the login (an interaction of the tenant) and stores a
        new hash when the hash parameters changed.

        Raises:
            LoginError: Wrong username or password, or the account is locked (the same message for all).
        """
        when = _now(now)
        user = await self._user_where(users.c.username == username)
        if user is None:
            await anyio.to_thread.run_sync(dummy_verify, password)
            raise LoginError(_LOGIN_FAILED)
        if user.locked_until is not None and user.locked_until > when:
            await self._audit(user.id, when, success=False)
            raise LoginError(_LOGIN_FAILED)
        # Argon2 costs tens of milliseconds of CPU by design: off the event loop, so the portal stays live
        ok, new_hash = await anyio.to_thread.run_sync(verify_password, user.password_hash, password)
        if not ok:
            failed = user.failed_logins + 1
            locked = when + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
            await self._update_user(
                username, {"failed_logins": 0 if locked else failed, "locked_until": locked}
            )
            await self._audit(user.id, when, success=False)
            raise LoginError(_LOGIN_FAILED)
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": when}
        if new_hash is not None:
            values["password_hash"] = new_hash
        await self._update_user(username, values)
        await self._audit(user.id, when, success=True)
        await self.touch(user.tenant, now=when)
        return await self.get_user(username)

    async def login_events(self, user_id: int) -> list[dict[str, Any]]:
        """The login audit of a user, oldest first: `{"at", "success"}`."""
        query = select(login_events.c.at, login_events.c.success).where(login_events.c.user_id == user_id)
        async with self.engine.connect() as connection:
            rows = await connection.execute(query.order_by(login_events.c.at, login_events.c.id))
            return [{"at": at.isoformat(), "success": success} for at, success in rows]

    # -- API tokens and sessions -----------------------------------------------------------------------

    async def create_api_token(self, username: str) -> str:
        """A new API token for the user, replacing any earlier one; only its hash is stored.

        Returns:
            The token, to be shown once.
        """
        token = new_api_token()
        await self._update_user(username, {"api_token_hash": token_hash(token)})
        return token

    async def user_by_api_token(self, token: str) -> User | None:
        """The user holding this API token, or None."""
        return await self._user_where(users.c.api_token_hash == token_hash(token))

    async def start_session(self, user: User, *, now: datetime | None = None) -> tuple[str, str]:
        """Open a portal session (and forget expired ones); only the hash of the cookie value is stored.

        Returns:
            `(cookie value, CSRF token)`.
        """
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        row = {
            "token_hash": token_hash(cookie),
            "user_id": user.id,
            "csrf_token": csrf,
            "expires_at": _now(now) + SESSION_LIFETIME,
        }
        async with self.engine.begin() as connection:
            await connection.execute(delete(portal_sessions).where(portal_sessions.c.expires_at <= _now(now)))
            await connection.execute(portal_sessions.insert().values(row))
        return cookie, csrf

    async def session(self, cookie: str, *, now: datetime | None = None) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or None."""
        query = (
            select(users, portal_sessions.c.csrf_token)
            .join(portal_sessions, portal_sessions.c.user_id == users.c.id)
            .where(
                portal_sessions.c.token_hash == token_hash(cookie), portal_sessions.c.expires_at > _now(now)
            )
        )
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        values = dict(row._mapping)
        csrf = values.pop("csrf_token")
        return User(**values), csrf

    async def end_session(self, cookie: str) -> None:
        """Log out: delete the session."""
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(portal_sessions).where(portal_sessions.c.token_hash == token_hash(cookie))
            )

    # -- invoices --------------------------------------------------------------------------------------

    async def add_invoice(
        self, tenant: str, number: str, day: date, amount: Decimal, *, addressee: str | None = None
    ) -> Invoice:
        """Add an invoice of `tenant`.

        Raises:
            NotFoundError: No such tenant.
            ConflictError: The number exists.
        """
        await self.get_tenant(tenant)
        row = {"tenant": tenant, "number": number, "date": day, "amount": amount, "addressee": addressee}
        try:
            async with self.engine.begin() as connection:
                await connection.execute(invoices.insert().values(row))
        except IntegrityError:
            raise ConflictError(f"invoice {number!r} exists already") from None
        (invoice,) = [i for i in await self.list_invoices(tenant) if i.number == number]
        return invoice

    async def list_invoices(self, tenant: str | None = None) -> list[Invoice]:
        """Every invoice (of `tenant`, when given), by date and number."""
        query = select(invoices).order_by(invoices.c.date, invoices.c.number)
        if tenant is not None:
            query = query.where(invoices.c.tenant == tenant)
        async with self.engine.connect() as connection:
            return [Invoice(**row._mapping) for row in await connection.execute(query)]

    # -- helpers ---------------------------------------------------------------------------------------

    async def _user_where(self, condition: Any) -> User | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(users).where(condition))).first()
        return None if row is None else User(**row._mapping)

    async def _update_user(self, username: str, values: Mapping[str, Any]) -> None:
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(users).where(users.c.username == username).values(values)
            )
        if result.rowcount == 0:
            raise NotFoundError(f"no user {username!r}")

    async def _audit(self, user_id: int, when: datetime, *, success: bool) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(login_events.insert().values(user_id=user_id, at=when, success=success))


async def delete_users(connection: AsyncConnection, condition: Any) -> int:
    """Delete the users matching `condition` with their login audit and portal sessions.

    Returns:
        How many users were deleted.
    """
    ids = select(users.c.id).where(condition).scalar_subquery()
    await connection.execute(delete(login_events).where(login_events.c.user_id.in_(ids)))
    await connection.execute(delete(portal_sessions).where(portal_sessions.c.user_id.in_(ids)))
    return (await connection.execute(delete(users).where(condition))).rowcount


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - set(TENANT_FIELDS))
    if unknown:
        raise TenantError(
            f"unknown tenant field(s) {', '.join(unknown)}; expected {', '.join(TENANT_FIELDS)}"
        )
