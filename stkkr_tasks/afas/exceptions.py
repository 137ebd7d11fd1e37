"""Exceptions raised by the AFAS Profit client.

Every exception is safe to print: its text names the HTTP method, the connector and what went wrong, never
the token, the request URL (a DELETE URL carries key values) or row values. Details travel as attributes.

```
AfasError (a StkkrError)           .retryable
├── AfasConfigError (ValueError)   bad environment type, token or base URL
├── AfasQueryTooLongError (ValueError)  query string over 2049 characters, refused before sending; .length
├── AfasPagingError                paging cannot go on without risking to skip rows (order_by not unique,
│   │                              no room in the query for the key filter)
│   └── AfasPagingTiesError        two rows share the order_by key: it is not unique
├── AfasTransportError             .method, .connector; no usable answer (connection dropped, protocol error)
│   ├── AfasConnectError           the request was never sent (connection refused, DNS, TLS, pool timeout)
│   └── AfasTimeoutError           .sent: whether AFAS may have received the request
└── AfasResponseError              .status, .method, .connector; AFAS answered with an error status
    ├── AfasBadRequestError        400
    ├── AfasAuthError              401
    ├── AfasForbiddenError         403
    ├── AfasNotFoundError          404
    ├── AfasPayloadTooLargeError   413
    ├── AfasValidationError        500 with an AFAS error body; .external_message, .error_number,
    │                              .profit_log_reference, .is_lock
    ├── AfasServerError            other 5xx without an AFAS error body
    │   └── AfasGatewayError       502, 504: a gateway in front of AFAS got no answer; outcome unknown
    ├── AfasUnavailableError       503; .retry_after
    ├── AfasTooManyRequestsError   429; .retry_after
    └── AfasUnexpectedResponseError  a success status whose body is not what the endpoint returns
```

`retryable` tells whether repeating the same request is safe and may succeed: requests that were never
sent, 429, 503, lock errors (AFAS refused the request, so its outcome is known), and timeouts, dropped
connections, 502 and 504 of requests that may be re-sent (`resendable`: GET, and a PUT that cannot insert
anything; see `retry.may_resend`). A POST or DELETE whose outcome is unknown is never retryable: repeating
it could insert a record twice.
"""

from __future__ import annotations

import re

from stkkr_tasks.afas.retry import may_resend
from stkkr_tasks.errors import StkkrError

__all__ = [
    "AfasAuthError",
    "AfasBadRequestError",
    "AfasConfigError",
    "AfasConnectError",
    "AfasError",
    "AfasForbiddenError",
    "AfasGatewayError",
    "AfasNotFoundError",
    "AfasPagingError",
    "AfasPagingTiesError",
    "AfasPayloadTooLargeError",
    "AfasQueryTooLongError",
    "AfasResponseError",
    "AfasServerError",
    "AfasTimeoutError",
    "AfasTooManyRequestsError",
    "AfasTransportError",
    "AfasUnavailableError",
    "AfasUnexpectedResponseError",
    "AfasValidationError",
]

_LOCK_PATTERN = re.compile(r"locked|vergrendeld", re.IGNORECASE)


class AfasError(StkkrError):
    """Base class of every error raised by the AFAS client."""

    retryable: bool = False


class AfasConfigError(AfasError, ValueError):
    """The client was configured wrongly: environment type, token or base URL."""


class AfasQueryTooLongError(AfasError, ValueError):
    """The query string would exceed AFAS's 2049-character limit; raised before anything is sent."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"the GetConnector query string would be {length} characters, AFAS accepts at most {limit}; "
            "use fewer or shorter filter values, or split the request into several"
        )


class AfasPagingError(AfasError):
    """Paging cannot go on without risking to skip rows; the message says why and what to change."""


class AfasPagingTiesError(AfasPagingError):
    """Two rows share the key paging orders on, so it is not unique (see `Pager`)."""


class AfasTransportError(AfasError):
    """No usable answer arrived: the connection dropped or the server broke the HTTP protocol.

    The request may have reached AFAS, so it is retryable only when it may be re-sent (`resendable`: by
    default GET and PUT; the client passes False for a PUT that could insert sub-objects).
    """

    def __init__(
        self, method: str, connector: str | None, problem: str, *, resendable: bool | None = None
    ) -> None:
        self.method = method
        self.connector = connector
        self.resendable = may_resend(method) if resendable is None else resendable
        self.retryable = self._compute_retryable()
        super().__init__(f"{method} {connector or 'AFAS'}: {problem}")

    def _compute_retryable(self) -> bool:
        return self.resendable


class AfasConnectError(AfasTransportError):
    """The request was never sent (connection refused, name resolution, TLS, no free connection)."""

    def _compute_retryable(self) -> bool:
        return True


class AfasTimeoutError(AfasTransportError):
    """AFAS did not answer in time; `sent` tells whether AFAS may have received the request."""

    def __init__(
        self, method: str, connector: str | None, problem: str, *, sent: bool, resendable: bool | None = None
    ) -> None:
        self.sent = sent
        super().__init__(method, connector, problem, resendable=resendable)

    def _compute_retryable(self) -> bool:
        return not self.sent or self.resendable


class AfasResponseError(AfasError):
    """AFAS answered with an error status."""

    explanation = "AFAS refused the request"

    def __init__(self, status: int, method: str, connector: str | None) -> None:
        self.status = status
        self.method = method
        self.connector = connector
        super().__init__(f"{method} {connector or 'AFAS'}: HTTP {status}: {self._explain()}")

    def _explain(self) -> str:
        return self.explanation


class AfasBadRequestError(AfasResponseError):
    """HTTP 400: elements of the request are missing or malformed."""

    explanation = "bad request (missing or malformed elements)"


class AfasAuthError(AfasResponseError):
    """HTTP 401: the token is invalid, belongs to another environment, or may not use this connector."""

    explanation = (
        "the token was refused (invalid, for another environment, or without access to this connector)"
    )


class AfasForbiddenError(AfasResponseError):
    """HTTP 403: the App Connector's IP restriction refused this machine."""

    explanation = "forbidden (the App Connector's IP restriction refused this machine)"


class AfasNotFoundError(AfasResponseError):
    """HTTP 404: wrong URL or connector id, the resource is gone, or the query string is too long."""

    explanation = "not found (wrong connector id or base URL, or the record does not exist)"


class AfasPayloadTooLargeError(AfasResponseError):
    """HTTP 413: the request body is larger than AFAS accepts (75 MB)."""

    explanation = "payload too large"


class AfasValidationError(AfasResponseError):
    """HTTP 500 with an AFAS error body: AFAS refused the request (validation, lock, authorisation).

    `external_message` may quote row values, so it is an attribute only and never part of `str()`.
    Lock errors (`is_lock`) are retryable: AFAS refused the request, so repeating it cannot duplicate.
    """

    explanation = "AFAS refused the request"

    def __init__(
        self,
        status: int,
        method: str,
        connector: str | None,
        *,
        external_message: str,
        error_number: int | None,
        profit_log_reference: str | None,
    ) -> None:
        self.external_message = external_message
        self.error_number = error_number
        self.profit_log_reference = profit_log_reference
        self.is_lock = bool(_LOCK_PATTERN.search(external_message))
        self.retryable = self.is_lock
        super().__init__(status, method, connector)

    def _explain(self) -> str:
        text = "the record is locked by another user" if self.is_lock else self.explanation
        details = []
        if self.error_number is not None:
            details.append(f"errorNumber {self.error_number}")
        if self.profit_log_reference:
            details.append(f"profitLogReference {self.profit_log_reference}")
        return f"{text} ({', '.join(details)})" if details else text


class AfasServerError(AfasResponseError):
    """A 5xx answer without an AFAS error body (proxy error, crash)."""

    explanation = "server error without an AFAS error message"


class AfasGatewayError(AfasServerError):
    """HTTP 502 or 504: a gateway in front of AFAS got no (good) answer from it; the outcome is unknown.

    Retryable only when the request may be re-sent (`resendable`, as for a dropped connection).
    """

    explanation = "a gateway in front of AFAS got no answer from it; the request may have been processed"

    def __init__(
        self, status: int, method: str, connector: str | None, *, resendable: bool | None = None
    ) -> None:
        self.resendable = may_resend(method) if resendable is None else resendable
        self.retryable = self.resendable
        super().__init__(status, method, connector)


class AfasTooManyRequestsError(AfasResponseError):
    """HTTP 429: AFAS refused the request for now (too many requests); `retry_after` holds its advice."""

    explanation = "too many requests"
    retryable = True

    def __init__(self, status: int, method: str, connector: str | None, *, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(status, method, connector)


class AfasUnavailableError(AfasResponseError):
    """HTTP 503: AFAS is unavailable (maintenance); `retry_after` holds its advice in seconds, if any."""

    explanation = "service unavailable"
    retryable = True

    def __init__(self, status: int, method: str, connector: str | None, *, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(status, method, connector)


class AfasUnexpectedResponseError(AfasResponseError):
    """A success status whose body is not what the endpoint documents (e.g. a page without `rows`)."""

    explanation = "the answer does not have the documented shape"
