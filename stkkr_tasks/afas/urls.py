"""Base URLs of AFAS environments and the paths of connector requests."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

from stkkr_tasks.afas.exceptions import AfasConfigError
from stkkr_tasks.afas.values import format_value

__all__ = [
    "ENVIRONMENT_TYPES",
    "EnvironmentType",
    "connector_path",
    "delete_path",
    "is_loopback",
    "resolve_base_url",
]


class EnvironmentType(StrEnum):
    """The kinds of AFAS environment: the block field, the CLI's `--type` and the host label all use these."""

    production = "production"
    test = "test"
    accept = "accept"


ENVIRONMENT_TYPES: Mapping[str, str] = {
    EnvironmentType.production: "rest",
    EnvironmentType.test: "resttest",
    EnvironmentType.accept: "restaccept",
}
"""Environment type -> host label: `https://{environment}.{label}.afas.online/ProfitRestServices`."""

_ENVIRONMENT = re.compile(r"[A-Za-z0-9]{1,20}")


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an IP address) is this machine: `localhost`, 127.0.0.0/8 or ::1."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(
    environment: str | int | None = None,
    environment_type: str = "production",
    base_url: str | None = None,
    *,
    allow_insecure_http: bool = False,
) -> str:
    """Return the base URL of an AFAS environment, without a trailing slash.

    Args:
        environment: The environment number, e.g. `12345`.
        environment_type: `production`, `test` or `accept`.
        base_url: An explicit base URL (simulator, proxy); it wins over `environment`.
        allow_insecure_http: Accept `http://` to another machine. Without it only `https://` is accepted,
            and `http://` to this machine (the simulator): the token travels in every request.

    Returns:
        For example `https://12345.resttest.afas.online/ProfitRestServices`.

    Raises:
        AfasConfigError: When neither is given, when one of them is malformed, or when `base_url` would send
            the token unencrypted over the network.
    """
    if base_url is not None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise AfasConfigError(
                "base_url must be an absolute http(s) URL without query, e.g. "
                "'https://12345.rest.afas.online/ProfitRestServices'"
            )
        if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
            raise AfasConfigError(
                "base_url uses http:// to another machine, so the AFAS token would travel unencrypted; "
                "use https://, or allow it explicitly (allow_insecure_http on the connection, "
                "`stkkr connection set --allow-insecure-http`) for a proxy on a network you trust"
            )
        return base_url.strip().rstrip("/")
    if environment is None:
        raise AfasConfigError("give either an AFAS environment number or an explicit base_url")
    label = ENVIRONMENT_TYPES.get(str(environment_type).lower())
    if label is None:
        valid = ", ".join(ENVIRONMENT_TYPES)
        raise AfasConfigError(f"unknown AFAS environment type {environment_type!r}; valid types: {valid}")
    number = str(environment).strip()
    if not _ENVIRONMENT.fullmatch(number):
        raise AfasConfigError("the AFAS environment must be its number, e.g. 12345 (letters and digits only)")
    return f"https://{number}.{label}.afas.online/ProfitRestServices"


def _segment(text: str) -> str:
    return quote(text, safe="")


def connector_path(connector_id: str, *sub_path: str) -> str:
    """Return `/connectors/{connector_id}[/{sub}…]` with every segment URL-escaped."""
    if not connector_id:
        raise ValueError("connector id must not be empty")
    return "/".join(["/connectors", *(_segment(part) for part in (connector_id, *sub_path))])


def delete_path(connector_id: str, keys: Mapping[str, Any], object_name: str | None = None) -> str:
    """Return the URL path of a DELETE: `/connectors/{C}/{object or C}/@K1,@K2/v1,v2`.

    Args:
        connector_id: The UpdateConnector id.
        keys: Key field ids (with or without `@`) and their values, in AFAS's order.
        object_name: The (sub-)object to delete; the connector's own object when omitted.

    Returns:
        The path; key values are formatted like filter values and URL-escaped (a `,` or `/` inside a value
        cannot be taken for a separator).

    Raises:
        ValueError: When no keys are given.
    """
    if not keys:
        raise ValueError(f"delete on {connector_id} needs at least one key field")
    names = ",".join("@" + _segment(name.removeprefix("@")) for name in keys)
    values = ",".join(_segment(format_value(value)) for value in keys.values())
    return f"{connector_path(connector_id, object_name or connector_id)}/{names}/{values}"
