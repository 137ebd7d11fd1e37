"""`stkkr doctor`: check that keys are kept apart from what they protect, and that the setup fits together.

Exit status: 0 nothing to warn about; 1 at least one warning (each line says what to do).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

import typer

from stkkr_tasks.cli._store import out


@dataclass(frozen=True)
class Finding:
    """One result of a check: `ok` or a warning, in one line."""

    ok: bool
    text: str


def register(app: typer.Typer) -> None:
    """Attach `stkkr doctor` to the main app."""
    app.command("doctor")(doctor)


def doctor() -> None:
    """Check the block encryption key policy, the stkkr database for workers, and the two stkkr keys."""
    findings = [server_key_finding(), *asyncio.run(_async_findings())]
    for finding in findings:
        label = "[green]ok[/green]" if finding.ok else "[yellow]warning[/yellow]"
        out().print(f"{label}: {finding.text}", highlight=False)
    raise typer.Exit(0 if all(f.ok for f in findings) else 1)


def server_key_finding() -> Finding:
    """Whether the Prefect server encrypts its blocks with a key kept outside its database."""
    from stkkr_tasks.cli._prefect import configured_api_url
    from stkkr_tasks.localserver import database_key, key_file, status

    local = status()
    if local is None or configured_api_url() != local.url:
        return Finding(
            True,
            f"the Prefect server at {configured_api_url()} is not the local one: make sure it runs with "
            "PREFECT_SERVER_ENCRYPTION_KEY set from a key kept outside its database",
        )
    if database_key() is not None:
        return Finding(
            False,
            "the local Prefect database holds its own block encryption key next to the tokens it protects: "
            "`stkkr server stop`, then any command moves it to the key file",
        )
    return Finding(True, f"the local Prefect server's block key is in {key_file()}, outside its database")


async def _async_findings() -> list[Finding]:
    return [await _database_finding(), await _fingerprint_key_finding(), await _payload_key_finding()]


async def _database_finding() -> Finding:
    """SQLite is one machine's file: stkkrs deployed to a work pool may run on workers elsewhere."""
    from prefect import get_client

    from stkkr_tasks.store._config import default_database_url

    url = default_database_url()
    if not url.startswith("sqlite"):
        return Finding(True, "the stkkr database is not SQLite: workers on other machines share it")
    async with get_client() as client:
        deployments = await client.read_deployments()
    pooled = sorted(
        {d.name for d in deployments if d.work_pool_name and any(t.startswith("stkkr:") for t in d.tags)}
    )
    if pooled:
        return Finding(
            False,
            f"the stkkr database is a SQLite file but {len(pooled)} stkkr(s) are deployed to a work pool "
            f"({', '.join(pooled[:3])}{', ...' if len(pooled) > 3 else ''}): workers on other machines "
            "would each keep their own error records and run-once keys; set STKKR_DATABASE_URL to PostgreSQL",
        )
    return Finding(True, "the stkkr database is SQLite and no stkkr is deployed to a work pool")


async def _secret_exists(name: str) -> bool:
    from prefect.blocks.system import Secret

    try:
        await Secret.aload(name)
    except ValueError:
        return False
    return True


async def _fingerprint_key_finding() -> Finding:
    from stkkr_tasks.store.keys import FINGERPRINT_KEY_BLOCK, FINGERPRINT_KEY_ENV

    if os.environ.get(FINGERPRINT_KEY_ENV) or await _secret_exists(FINGERPRINT_KEY_BLOCK):
        return Finding(True, "the fingerprint key is set")
    return Finding(
        False,
        f"no fingerprint key (${FINGERPRINT_KEY_ENV} or the Secret block {FINGERPRINT_KEY_BLOCK!r}): "
        "if it was lost, `unique` rows run again and old error records cannot be found by key",
    )


async def _payload_key_finding() -> Finding:
    from stkkr_tasks.store.keys import PAYLOAD_KEY_BLOCK, PAYLOAD_KEY_ENV

    if os.environ.get(PAYLOAD_KEY_ENV) or await _secret_exists(PAYLOAD_KEY_BLOCK):
        return Finding(True, "the payload key is set (back it up: `stkkr consent export-key`)")
    return Finding(
        False,
        "no payload key: failed payloads are never stored, even for tenants who consented; "
        "create one with `stkkr consent create-key`",
    )
