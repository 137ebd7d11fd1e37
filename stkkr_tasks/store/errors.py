"""Exceptions of the stkkr database. Every message is safe to print: no row values, keys or passwords.

```
StoreError (a StkkrError)
├── StoreConfigError (ValueError)     the database URL or a key setting is unusable
├── PayloadKeyError                   no payload key, or not the key a payload was encrypted with
└── RetentionPeriodError (ValueError) a retention period outside 1..30 days
```
"""

from __future__ import annotations

from stkkr_tasks.errors import StkkrError


class StoreError(StkkrError):
    """Base class of every error raised by `stkkr_tasks.store`."""


class StoreConfigError(StoreError, ValueError):
    """The database URL or a key setting cannot be used."""


class PayloadKeyError(StoreError):
    """A payload cannot be decrypted: no key is configured, or it is not the key it was encrypted with."""


class RetentionPeriodError(StoreError, ValueError):
    """A retention period outside what stkkr promises (1 to 30 days)."""
