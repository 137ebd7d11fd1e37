"""How AFAS errors are sorted into "this row failed" and "this run cannot go on", with safe messages.

Every message built here names what went wrong and what to do, and never holds a row value, URL or token:
AFAS's own `externalMessage` only travels inside a `Failure` (`from_afas`), of which the recorder stores a
template (`message_template`) and, under consent, the full text encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stkkr_tasks.afas import (
    AfasAuthError,
    AfasConnectError,
    AfasError,
    AfasForbiddenError,
    AfasGatewayError,
    AfasResponseError,
    AfasTimeoutError,
    AfasTransportError,
    AfasValidationError,
)
from stkkr_tasks.afas.values import NumberTooLargeError
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.store import Stage
from stkkr_tasks.tasks._context import Counts, WriteItem
from stkkr_tasks.tasks._recorder import Failure


class RunAborted(StkkrError):
    """The run cannot go on (AFAS refused the token, is unreachable, or the stkkr database failed).

    The message is safe to show and to store: it never holds a row value or a token.

    Attributes:
        counts: What the task that raised it had done to its page by then (the flow still adds them up).
    """

    def __init__(self, reason: str, counts: Counts | None = None) -> None:
        super().__init__(reason)
        self.counts = counts or Counts()


def fatal_reason(exc: BaseException) -> str | None:
    """The message that stops the whole run for this error, or None when only the row failed.

    `stkkr connection test` tells the same errors in the same words.
    """
    if isinstance(exc, AfasAuthError):
        return (
            "AFAS refused the token (HTTP 401): it is wrong, revoked, or belongs to another environment. "
            "Check it with `stkkr connection test NAME`; set it again with "
            "`stkkr connection set NAME ... --token-file FILE`."
        )
    if isinstance(exc, AfasForbiddenError):
        return "AFAS refused access (HTTP 403): the App Connector may only allow certain IP addresses."
    if isinstance(exc, AfasConnectError):
        return f"AFAS is unreachable: {exc} Check the environment number, type or base URL."
    return None


def failure_from(
    exc: BaseException, *, stage: Stage, row: Mapping[str, Any] | None, item: WriteItem | None = None
) -> Failure:
    """A `Failure` describing why AFAS (or the client) refused a row's read or write."""
    if isinstance(exc, AfasValidationError):
        return Failure(
            stage=stage,
            row=row,
            item=item,
            message=exc.external_message or str(exc),
            from_afas=bool(exc.external_message),
            http_status=exc.status,
            error_number=exc.error_number,
            profit_log_reference=exc.profit_log_reference,
        )
    if isinstance(exc, AfasResponseError):
        return Failure(stage=stage, row=row, item=item, message=str(exc), http_status=exc.status)
    if isinstance(exc, AfasTimeoutError) and exc.sent:
        message = (
            f"{exc} The outcome is unknown: AFAS may have processed the request; "
            "check the record in AFAS before running the row again."
        )
        return Failure(stage=stage, row=row, item=item, message=message)
    if isinstance(exc, AfasError | NumberTooLargeError):
        return Failure(stage=stage, row=row, item=item, message=str(exc))
    return Failure(stage=stage, row=row, item=item, message=unexpected(exc, "processing the row"))


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a failed write may still have been processed by AFAS (sent, but no answer came back).

    A 502 or 504 (`AfasGatewayError`) counts: the gateway in front of AFAS lost the answer, not the request.
    """
    if isinstance(exc, AfasTimeoutError):
        return exc.sent
    if isinstance(exc, AfasGatewayError):
        return True
    return isinstance(exc, AfasTransportError) and not isinstance(exc, AfasConnectError)


def unexpected(exc: BaseException, what: str) -> str:
    """A safe message for an unexpected exception (its text may hold row data, so only its type is named)."""
    return (
        f"Unexpected {type(exc).__name__} while {what}; details are not shown because they may hold row data."
    )
