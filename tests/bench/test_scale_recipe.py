"""The multi-machine recipe (README, docs/scale/) keeps the commands and variables that `make scale` runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scale import DEPLOY_COMMAND, SERVER_COMMAND, SERVER_ENV, WORKER_COMMAND, WORKER_ENV

ROOT = Path(__file__).resolve().parents[2]
SCALE = ROOT / "docs" / "scale"


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Many workers")
    return text[start : text.index("\n### ", start + 1)]


@pytest.mark.parametrize(
    ("where", "commands", "variables"),
    [
        ("README", [SERVER_COMMAND, DEPLOY_COMMAND, WORKER_COMMAND], [*SERVER_ENV, *WORKER_ENV]),
        ("docker-compose.yml", [SERVER_COMMAND, DEPLOY_COMMAND, WORKER_COMMAND], [*SERVER_ENV, *WORKER_ENV]),
        ("prefect-server.service", [SERVER_COMMAND], SERVER_ENV),
        ("stkkr-worker@.service", [WORKER_COMMAND], WORKER_ENV),
    ],
)
def test_the_recipe_runs_what_make_scale_runs(
    where: str, commands: list[list[str]], variables: list[str]
) -> None:
    text = _readme_section() if where == "README" else (SCALE / where).read_text(encoding="utf-8")

    for command in commands:
        assert " ".join(command) in text, f"{where} lacks `{' '.join(command)}`"
    for variable in variables:
        assert variable in text, f"{where} lacks {variable}"


def test_several_server_replicas_share_redis_and_one_encryption_key() -> None:
    compose = (SCALE / "docker-compose.yml").read_text(encoding="utf-8")
    readme = _readme_section()

    for setting in (
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE: prefect_redis.lease_storage",
        "PREFECT_MESSAGING_BROKER: prefect_redis.messaging",
    ):
        assert setting in compose
        assert setting.replace(": ", "=") in readme
