"""Exceptions of `stkkr_tasks.tenants`. Messages name what is wrong, never a password or a token.

```
TenantError (a StkkrError; ValueError)
├── NotFoundError        no such tenant, user, invoice or request (or not visible to the caller)
├── ConflictError        the tenant, username or invoice number exists already
├── LoginError           wrong username or password, or the account is locked (one message for both)
└── PeriodError          a purge period longer than promised
```
"""

from __future__ import annotations

from stkkr_tasks.errors import StkkrError


class TenantError(StkkrError, ValueError):
    """Base class of the errors of `stkkr_tasks.tenants`."""


class NotFoundError(TenantError):
    """No such tenant, user, invoice or request."""


class ConflictError(TenantError):
    """The tenant id, username or invoice number is taken."""


class LoginError(TenantError):
    """A login failed: wrong username or password, or a locked account."""


class PeriodError(TenantError):
    """A retention period outside what the privacy statement promises."""
