"""The one seam where httpx exceptions and HTTP error answers become the client's exceptions.

The texts of httpx exceptions can name the request URL, so they are never chained (`from None`); only
the httpx class name is kept in the message.
"""

from __future__ import annotations

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
    AfasNotFoundError,
    AfasPayloadTooLargeError,
    AfasResponseError,
    AfasServerError,
    AfasTimeoutError,
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


def error_from_transport(exc: httpx.HTTPError, method: str, connector: str | None) -> AfasError:
    """Map an httpx exception to the most specific client exception.

    Args:
        exc: What httpx raised while sending or receiving.
        method: The HTTP method of the request.
        connector: The connector it concerned, or None for other endpoints.

    Returns:
        `AfasConnectError` when the request cannot have been sent, `AfasTimeoutError` with `sent` telling
        whether it may have been, `AfasTransportError` for anything else.
    """
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return AfasTimeoutError(method, connector, f"no connection within the timeout ({kind})", sent=False)
    if isinstance(exc, httpx.TimeoutException):
        return AfasTimeoutError(method, connector, f"no answer within the timeout ({kind})", sent=True)
    if isinstance(exc, httpx.ConnectError):
        return AfasConnectError(method, connector, f"could not connect ({kind})")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return AfasConnectError(method, connector, f"the base URL's scheme is not supported ({kind})")
    return AfasTransportError(method, connector, f"the connection failed before an answer arrived ({kind})")


def _retry_after(response: httpx.Response, body: Any) -> float | None:
    header = response.headers.get("Retry-After", "").strip()
    if header:
        try:
            return max(float(header), 0.0)
        except ValueError:
            try:
                moment = parsedate_to_datetime(header)
            except (TypeError, ValueError):
                moment = None
            if moment is not None:
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                return max((moment - datetime.now(UTC)).total_seconds(), 0.0)
    advice = body.get("retry_after") if isinstance(body, dict) else None
    if isinstance(advice, int | float) and not isinstance(advice, bool):
        return max(float(advice), 0.0)
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_from_response(response: httpx.Response, method: str, connector: str | None) -> AfasResponseError:
    """Map an error answer to the exception for its status, with AFAS's error body parsed into attributes.

    Args:
        response: An answer with a status of 300 or more; its body must have been read.
        method: The HTTP method of the request.
        connector: The connector it concerned, or None for other endpoints.

    Returns:
        The exception to raise: by status for 400/401/403/404/413 and 503; `AfasValidationError` for any
        other 5xx whose body (JSON, whatever the Content-Type) has an `externalMessage`; `AfasServerError`
        for other 5xx; `AfasResponseError` for other statuses.
    """
    status = response.status_code
    body = parse_body(response.content)
    if status in _BY_STATUS:
        return _BY_STATUS[status](status, method, connector)
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
        return AfasServerError(status, method, connector)
    return AfasResponseError(status, method, connector)
