"""Fixtures of the deployment tests: a temporary deployments directory and stkkr files in it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.deploy_helpers import stkkr_document

# A run that waits for its stkkr's concurrency slot (ENQUEUE) retries after this many seconds (default 30).
# Set at collection, before the session's Prefect test server starts; it only shortens that wait.
os.environ.setdefault("PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS", "1")


@pytest.fixture
def deployments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty deployments directory, made current through STKKR_DEPLOYMENTS_DIR."""
    root = tmp_path / "deployments"
    root.mkdir()
    monkeypatch.setenv("STKKR_DEPLOYMENTS_DIR", str(root))
    return root


@pytest.fixture
def write_stkkr(deployments: Path) -> Callable[..., Path]:
    """Write `<name>.yaml` into the deployments directory (keyword arguments override top-level keys)."""

    def write(name: str, **overrides: Any) -> Path:
        path = deployments / f"{name}.yaml"
        path.write_text(yaml.safe_dump(stkkr_document(name, **overrides), sort_keys=False), encoding="utf-8")
        return path

    return write
