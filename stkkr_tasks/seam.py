"""The library's one seam to the top layer: `blocks/` and `flows/` are reached here, by name, never imported.

`blocks/` and `flows/` sit on top of the library: they may import anything in `stkkr_tasks/`, never the other
way round (`lint-imports` checks it in `make test`; the floors are drawn in the README's Development section).
Where the library needs something of the top layer, it asks this module, which finds it by name:

- the `AfasConnection` block class in Prefect's block registry, which `blocks/` fills when Prefect loads the
  `prefect.collections` entry point of pyproject.toml;
- the retention flow's run and the deployments of the retention and privacy flows by their import paths in
  `flows/` (``flows.retention:…``, ``flows.dsr_deadlines:…``, ``flows.purge:…``);
- the project directory (the one holding `flows/stkkrs.py`, the stkkrs' deployment entrypoint) through the
  import system's finder, without importing anything.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from prefect.blocks.core import Block

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment
    from pydantic import SecretStr

    from stkkr_tasks.afas import AfasClient

CONNECTION_BLOCK_SLUG = "afas-connection"
"""The block type slug of `blocks.AfasConnection`."""

STKKRS_MODULE = "flows/stkkrs.py"
"""The deployment entrypoint file of the stkkrs, relative to the project directory."""

RETENTION_RUN = "flows.retention:arun_retention"
RETENTION_DEPLOYMENT = "flows.retention:retention_deployment"
OVERVIEW_UPDATE = "flows.overview:update_overview"
PRIVACY_DEPLOYMENTS = ("flows.dsr_deadlines:dsr_deadlines_deployment", "flows.purge:purge_deployment")
_TOP_PACKAGE = "flows"


class ConnectionBlock(Protocol):
    """What the library uses of a loaded `AfasConnection` block (see `blocks.AfasConnection`)."""

    @property
    def environment(self) -> str | None:
        """The AFAS environment number."""

    @property
    def environment_type(self) -> str:
        """production, test or accept."""

    @property
    def token(self) -> SecretStr:
        """The App Connector token, as a secret."""

    @property
    def base_url(self) -> str | None:
        """An explicit base URL, if any."""

    @property
    def integration_id(self) -> str | None:
        """The partner IntegrationId, if any."""

    @property
    def language(self) -> str | None:
        """The Accept-Language, if any."""

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once to the environment, from every run on every worker together."""

    def get_client(self) -> AfasClient:
        """A new AFAS client for the block's environment."""


def connection_block() -> Any:
    """The `AfasConnection` block class, from Prefect's block registry.

    Returns:
        The class (`blocks.AfasConnection`): `aload(name)`, `load(name)`, or build one and `save(name)` it.
    """
    return Block.get_block_class_from_key(CONNECTION_BLOCK_SLUG)


async def arun_retention(**options: Any) -> dict[str, Any]:
    """Run the retention flow `prune-error-records` now (`flows.retention.arun_retention(**options)`).

    Returns:
        Its counts (`error_records`, `flow_runs`, `dry_run`, `days`, `cutoff`).
    """
    counts: dict[str, Any] = await _find(RETENTION_RUN)(**options)
    return counts


def retention_deployment(**options: Any) -> RunnerDeployment:
    """The nightly deployment of the retention flow (`flows.retention.retention_deployment(**options)`)."""
    deployment: RunnerDeployment = _find(RETENTION_DEPLOYMENT)(**options)
    return deployment


async def update_overview(summary: Any) -> None:
    """Update the `stkkr-overview` artifact after a run (`flows.overview.update_overview(summary)`)."""
    await _find(OVERVIEW_UPDATE)(summary)


def privacy_deployments() -> list[RunnerDeployment]:
    """The deployments of the privacy flows: daily ``dsr-deadlines``, monthly ``purge-inactive-customers``."""
    return [_find(import_path)() for import_path in PRIVACY_DEPLOYMENTS]


def project_dir() -> Path:
    """The stkkr project directory: the one holding `flows/` (found, not imported).

    Returns:
        The absolute path.

    Raises:
        ModuleNotFoundError: `flows` is not installed next to the library.
    """
    found = importlib.util.find_spec(_TOP_PACKAGE)
    if found is None or found.origin is None:
        raise ModuleNotFoundError(f"the stkkr project's {_TOP_PACKAGE!r} package is not installed")
    return Path(found.origin).resolve().parent.parent


def _find(import_path: str) -> Any:
    """The object at `module:attribute` in the top layer."""
    module, attribute = import_path.split(":", 1)
    return getattr(importlib.import_module(module), attribute)
