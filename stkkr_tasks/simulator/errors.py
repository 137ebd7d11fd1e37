"""AFAS-shaped error answers: HTTP 500 with ``externalMessage``, ``errorNumber``, ``profitLogReference``."""

from __future__ import annotations

import uuid
from typing import Any

# AFAS usually answers functional errors with this generic number; clients must not branch on it.
VALIDATION_ERROR = -2147220469
UNEXPECTED_ERROR = -2147180999
LOCK_ERROR = -2147024891

UNEXPECTED_MESSAGE = "An unexpected error has occurred."
LOCK_MESSAGE = "Record is locked by another user (vergrendeld). Try again later."
UPDATE_CONNECTOR_UNKNOWN = (
    "General message: Deze UpdateConnector wordt niet ondersteund of de gebruiker is niet geautoriseerd."
)
GET_CONNECTOR_UNKNOWN = "GetConnector not supported for this app or the user is not authorized"
UNAVAILABLE_MESSAGE = (
    "Service temporarily unavailable due to scheduled maintenance. Please check afasstatus.nl for details."
)

THROTTLED_MESSAGE = "Too many requests. Please retry later."


class AfasFault(Exception):
    """An error the simulator answers the way AFAS does (HTTP 500 and the AFAS error body by default).

    The message is meant for the HTTP answer only; it names fields, never values.
    """

    def __init__(self, message: str, error_number: int = VALIDATION_ERROR, status: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.error_number = error_number
        self.status = status

    def body(self) -> dict[str, Any]:
        """The JSON body AFAS sends with this error, with a fresh log reference."""
        return error_body(self.message, self.error_number)


def error_body(message: str, error_number: int) -> dict[str, Any]:
    """An AFAS error body: message, error number and a 32-hex ``profitLogReference``."""
    return {
        "externalMessage": message,
        "errorNumber": error_number,
        "profitLogReference": uuid.uuid4().hex.upper(),
    }


def throttled_body() -> dict[str, Any]:
    """The body of a 429 answer (too many requests)."""
    return {"error": {"code": "429", "message": THROTTLED_MESSAGE}}


def gateway_page(status: int) -> str:
    """The HTML page a gateway in front of AFAS answers 502 or 504 with."""
    title = "502 Bad Gateway" if status == 502 else "504 Gateway Time-out"
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"


def unavailable_body(retry_after: int) -> dict[str, Any]:
    """The body of AFAS's 503 answer."""
    return {"error": {"code": "503", "message": UNAVAILABLE_MESSAGE}, "retry_after": retry_after}
