"""The one seam where httpx exceptions and HTTP error answers become the client's exceptions.

The texts of httpx exceptions can name the request URL, so they are never chained (`from None`); only
the httpx class name is kept in the message.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from stkkr_tasks.afas.exceptions import (
    AfasAuthError,
    AfasBadRequestError,
    AfasConnectError,
    AfasError,
    AfasForbiddenError,
    AfasGatewayError,
    AfasNotFoundError,
    AfasPayloadTooLargeError,
    AfasResponseError,
    AfasServerError,
    AfasTimeoutError,
    AfasTooManyRequestsError,
    AfasTransportError,
    AfasUnavailableError,
    AfasValidationError,
)
from stkkr_tasks.afas.values import decode_json

__all__ = ["error_from_response", "error_from_transport", "parse_body"]

_BY_STATUS: dict[int, type[AfasResponseError]] = {
    400: AfasBadRequestError,
    401: AfasAuthError,
    403: AfasForbiddenError,
    404: AfasNotFoundError,
    413: AfasPayloadTooLargeError,
}


def parse_body(content: bytes) -> Any:
    """Parse a body as JSON whatever its Content-Type (AFAS often labels JSON as XML); None if it is not."""
    if not content.strip():
        return None
    try:
        return decode_json(content)
    except ValueError:
        return None


def error_from_transport(
    exc: httpx.HTTPError, method: str, connector: str | None, *, resendable: bool | None = None
) -> AfasError:
    """Map an httpx exception to the most specific client exception.

    Args:
        exc: What httpx raised while sending or receiving.
        method: The HTTP method of the request.
        connector: The connector it concerned, or None for other endpoints.
        resendable: Whether the request may be sent again when its outcome is unknown (`retry.may_resend`);
            by its method when None.

    Returns:
        `AfasConnectError` when the request cannot have been sent, `AfasTimeoutError` with `sent` telling
        whether it may have been, `AfasTransportError` for anything else.
    """
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return AfasTimeoutError(method, connector, f"no connection within the timeout ({kind})", sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return AfasTimeoutError(
            method, connector, f"no answer within the timeout ({kind})", sent=True, resendable=resendable
        )
    if isinstance(exc, httpx.ConnectError):
        return AfasConnectError(method, connector, f"could not connect ({kind})")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return AfasConnectError(method, connector, f"the base URL's scheme is not supported ({kind})")
    problem = f"the connection failed before an answer arrived ({kind})"
    return AfasTransportError(method, connector, problem, resendable=resendable)


def _seconds(value: Any) -> float | None:
    """Seconds, at least 0 (infinity stays: the retry policy caps it); None for NaN or what is no number."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return math.inf  # an integer too large for a float
    except (TypeError, ValueError):
        return None
    return None if math.isnan(seconds) else max(seconds, 0.0)


def _retry_after(response: httpx.Response, body: Any) -> float | None:
    """AFAS's advice how long to wait, from the `Retry-After` header (seconds or an HTTP date) or the body.

    Odd advice (`nan`, negative, huge, a malformed date) never raises: it is clamped or ignored.
    """
    header = response.headers.get("Retry-After", "").strip()
    if header:
        seconds = _seconds(header)
        if seconds is not None:
            return seconds
        try:
            moment = parsedate_to_datetime(header)
        except (TypeError, ValueError, OverflowError, IndexError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max((moment - datetime.now(UTC)).total_seconds(), 0.0)
    return _seconds(body.get("retry_after")) if isinstance(body, dict) else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_from_response(
    response: httpx.Response, method: str, connector: str | None, *, resendable: bool | None = None
) -> AfasResponseError:
    """Map an error answer to the exception for its status, with AFAS's error body parsed into attributes.

    Args:
        response: An answer with a status of 300 or more; its body must have been read.
        method: The HTTP method of the request.
        connector: The connector it concerned, or None for other endpoints.
        resendable: Whether the request may be sent again when its outcome is unknown (502, 504); by its
            method when None.

    Returns:
        The exception to raise: by status for 400/401/403/404/413, 429 and 503; `AfasValidationError` for
        any other 5xx whose body (JSON, whatever the Content-Type) has an `externalMessage`;
        `AfasGatewayError` for other 502 and 504; `AfasServerError` for other 5xx; `AfasResponseError` for
        other statuses.
    """
    status = response.status_code
    body = parse_body(response.content)
    if status in _BY_STATUS:
        return _BY_STATUS[status](status, method, connector)
    if status == 429:
        return AfasTooManyRequestsError(status, method, connector, retry_after=_retry_after(response, body))
    if status == 503:
        return AfasUnavailableError(status, method, connector, retry_after=_retry_after(response, body))
    if status >= 500:
        message = body.get("externalMessage") if isinstance(body, dict) else None
        if isinstance(message, str):
            reference = body.get("profitLogReference")
            return AfasValidationError(
                status,
                method,
                connector,
                external_message=message,
                error_number=_int_or_none(body.get("errorNumber")),
                profit_log_reference=str(reference) if reference else None,
            )
        if status in (502, 504):
            return AfasGatewayError(status, method, connector, resendable=resendable)
        return AfasServerError(status, method, connector)
    return AfasResponseError(status, method, connector)
