"""The `AfasConnection` block: where an AFAS Profit environment lives and the token that opens it."""

from __future__ import annotations

from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, HttpUrl, SecretStr

from stkkr_tasks.afas import AfasClient
from stkkr_tasks.afas.limits import DEFAULT_MAX_IN_FLIGHT
from stkkr_tasks.afas.urls import EnvironmentType

REPOSITORY_URL = "https://github.com/stkkr/stkkr"
RAW_BASE_URL = "https://raw.githubusercontent.com/stkkr/stkkr/main"
"""Where files of the repository are served from, as the Prefect UI fetches the block's logo."""


class AfasConnection(CredentialsBlock):
    """A connection to one AFAS Profit environment: its number and type (or a base URL) and its token.

    The token is held as a secret (encrypted at rest by the Prefect server, masked in the UI and in every
    repr). Flows receive the block's *name* and load it at run time; the token never travels as a parameter.

    Attributes:
        environment: The environment number, e.g. `12345`.
        environment_type: `production`, `test` or `accept`.
        token: The App Connector token: the full `<token>` XML or only its data part.
        base_url: An explicit base URL (simulator, proxy); wins over environment and type.
        allow_insecure_http: Accept an `http://` base URL to another machine (a proxy on a trusted network);
            without it only `https://` and `http://` to this machine (the simulator) are used.
        integration_id: The partner IntegrationId header, `<subscription>_<project>`.
        language: The Accept-Language for labels and messages, e.g. `nl-nl`.
        max_concurrency: Requests in flight at once to this environment, from every run in every worker
            together (AFAS allows 8); held as the Prefect global concurrency limit of the environment.

    Example:
        Load a saved connection and ask AFAS for its version:
        ```python
        from blocks import AfasConnection

        connection = AfasConnection.load("BLOCK_NAME")
        async with connection.get_client() as client:
            print(await client.profit_version())
        ```
    """

    _block_type_name = "AFAS Connection"
    _block_type_slug = "afas-connection"
    _logo_url = HttpUrl(f"{RAW_BASE_URL}/blocks/logos/afas-connection.png")  # drawn from the .svg beside it
    _documentation_url = HttpUrl(f"{REPOSITORY_URL}#connections")  # the README section "Connections"

    environment: str | None = Field(
        default=None,
        title="Environment number",
        description="The AFAS environment number, e.g. 12345; leave empty when a base URL is given.",
    )
    environment_type: EnvironmentType = Field(
        default=EnvironmentType.production,
        title="Environment type",
        description="The kind of environment: production, test or accept.",
    )
    token: SecretStr = Field(
        default=...,
        title="Token",
        description="The App Connector token: the full <token> XML or only its data part.",
    )
    base_url: str | None = Field(
        default=None,
        title="Base URL",
        description="An explicit base URL (simulator or proxy) ending in /ProfitRestServices; wins over the "
        "environment number and type.",
    )
    allow_insecure_http: bool = Field(
        default=False,
        title="Allow insecure http",
        description="Accept an http:// base URL to another machine; the token then travels unencrypted. "
        "Only for a proxy on a network you trust; http:// to this machine (the simulator) is always fine.",
    )
    integration_id: str | None = Field(
        default=None,
        title="IntegrationId",
        description="The partner IntegrationId sent as a header, <subscription>_<project>.",
    )
    language: str | None = Field(
        default=None,
        title="Language",
        description="The Accept-Language for labels and messages, e.g. nl-nl; empty for the environment's "
        "own language.",
    )

    max_concurrency: int = Field(
        default=DEFAULT_MAX_IN_FLIGHT,
        ge=1,
        title="Max concurrency",
        description="Requests in flight at once to this environment, from all runs on all workers together "
        "(AFAS allows 8).",
    )

    def get_client(self) -> AfasClient:
        """Return a new client for this environment; the only place where the token is unwrapped.

        Returns:
            An `AfasClient`, to be used as an async context manager (`async with`).

        Raises:
            AfasConfigError: The environment type, token or base URL is not usable (an `http://` base URL to
                another machine needs `allow_insecure_http`).
        """
        return AfasClient(
            self.token.get_secret_value(),
            environment=self.environment,
            environment_type=self.environment_type,
            base_url=self.base_url,
            allow_insecure_http=self.allow_insecure_http,
            integration_id=self.integration_id,
            language=self.language,
            max_in_flight=self.max_concurrency,
        )
