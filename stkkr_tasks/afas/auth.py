"""The AfasToken authorization: the whole token XML, Base64-encoded, in the `Authorization` header."""

from __future__ import annotations

import base64
import re
from collections.abc import Generator

import httpx

from stkkr_tasks.afas.exceptions import AfasConfigError

__all__ = ["AfasTokenAuth", "normalise_token", "token_header"]

_XML_TOKEN = re.compile(r"<token>\s*<version>[^<]+</version>\s*<data>[^<]+</data>\s*</token>", re.DOTALL)
_DATA_PART = re.compile(r"[A-Za-z0-9]+")


def normalise_token(token: str) -> str:
    """Return the full token XML, given either the XML or only its data part.

    Args:
        token: `<token><version>1</version><data>…</data></token>` as Profit shows it, or the text between
            `<data>` and `</data>`.

    Returns:
        The token XML as AFAS expects it before Base64 encoding.

    Raises:
        AfasConfigError: When the text is neither form. The message never quotes the token.
    """
    text = token.strip() if isinstance(token, str) else ""
    if _XML_TOKEN.fullmatch(text):
        return text
    if _DATA_PART.fullmatch(text):
        return f"<token><version>1</version><data>{text}</data></token>"
    raise AfasConfigError(
        "the AFAS token must be the full '<token><version>1</version><data>…</data></token>' XML "
        "or only its data part (letters and digits)"
    )


def token_header(token: str) -> str:
    """The `Authorization` header value for a token: `AfasToken ` and the Base64 of its full XML.

    Args:
        token: The token XML or its data part (see `normalise_token`).

    Raises:
        AfasConfigError: When the token has neither form.
    """
    return "AfasToken " + base64.b64encode(normalise_token(token).encode("utf-8")).decode("ascii")


class AfasTokenAuth(httpx.Auth):
    """Sets `Authorization: AfasToken <base64 of the token XML>` on every request.

    The header is built once; the object keeps only the header and never shows it in its repr.
    """

    def __init__(self, token: str) -> None:
        """Build the header from a token.

        Args:
            token: The token XML or its data part (see `normalise_token`).

        Raises:
            AfasConfigError: When the token has neither form.
        """
        self._header = token_header(token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header to the request (httpx calls this for every request)."""
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "AfasTokenAuth([secure])"
