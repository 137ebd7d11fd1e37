"""The identity of the AFAS environment a connection writes to, as run-once keys and error records name it."""

from __future__ import annotations

from urllib.parse import urlsplit

from stkkr_tasks.afas.urls import resolve_base_url


def environment_scope(
    environment: str | int | None = None, environment_type: str = "production", base_url: str | None = None
) -> str:
    """A short text that names one AFAS environment: `afas:<number>:<type>`, or `url:<base URL>`.

    An explicit base URL (simulator, proxy) wins, as it does for the requests: its scheme and host are
    lower-cased and a trailing slash is dropped, so spellings of one URL name one environment. Neither
    holds a secret.

    Raises:
        AfasConfigError: The environment type, number or base URL is not usable (as for a client).

    Example:
        >>> environment_scope("12345", "test")
        'afas:12345:test'
        >>> environment_scope(base_url="HTTP://127.0.0.1:8000/ProfitRestServices/")
        'url:http://127.0.0.1:8000/ProfitRestServices'
    """
    resolved = resolve_base_url(environment, environment_type, base_url)  # validates every part
    if base_url is None:
        return f"afas:{str(environment).strip()}:{environment_type.lower()}"
    parts = urlsplit(resolved)
    return f"url:{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
