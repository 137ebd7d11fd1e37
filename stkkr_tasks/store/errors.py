"""Exceptions of the stkkr database. Every message is safe to print: no row values, keys or passwords.

```
StoreError (a StkkrError)
├── StoreConfigError (ValueError)     the database URL or a key setting is unusable
├── PayloadKeyError                   no payload key, or not the key a payload was encrypted with
├── FingerprintKeyMismatch            the fingerprint key is not the one the database was used with
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


class FingerprintKeyMismatch(StoreError):
    """The fingerprint key of this run is not the one the stkkr database was used with.

    Running on would not recognise a single run-once key, so every `unique` row would be written again.
    """

    def __init__(self, check: str, expected: str) -> None:
        self.check = check
        self.expected = expected
        super().__init__(
            "The fingerprint key is not the one this stkkr database was used with (key check "
            f"{check[:8]}, expected {expected[:8]}); running now would write every `unique` row again, so "
            "nothing was sent. Restore the original key: point PREFECT_API_URL at the Prefect server that "
            "holds the Secret block 'stkkr-fingerprint-key', restore that block from your backup, or set "
            "STKKR_FINGERPRINT_KEY to it. Only if the key is lost for good: `stkkr run-once reset-key` "
            "forgets every run-once key, after which `unique` rows are written again."
        )
