"""Fixtures of the flow tests: a saved AfasConnection per simulator, stkkr texts, error records."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from blocks import AfasConnection
from stkkr_tasks.spec import StkkrSpec, load_stkkr_text
from stkkr_tasks.store import ErrorRecord, ErrorStore


@pytest.fixture
def connect() -> Callable[..., str]:
    """Save a connection block for a running simulator (or any base URL); returns the block name."""

    def save(sim: Any = None, *, token: str | None = None, base_url: str | None = None) -> str:
        name = f"sim-{uuid.uuid4().hex[:10]}"
        AfasConnection(base_url=base_url or sim.base_url, token=token or sim.token).save(name)
        return name

    return save


@pytest.fixture
def stkkr_name() -> str:
    """A fresh stkkr name, so runs-once keys and artifacts of tests never meet."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_spec(stkkr_name: str) -> Callable[..., StkkrSpec]:
    """Load a stkkr from YAML text whose `{name}` and `{connection}` are filled in."""

    def make(text: str, connection: str, **values: Any) -> StkkrSpec:
        return load_stkkr_text(text.format(name=stkkr_name, connection=connection, **values))

    return make


@pytest.fixture
def error_records() -> Callable[[str], list[ErrorRecord]]:
    """Read the error records of a stkkr from the stkkr database, newest first."""

    def read(stkkr: str) -> list[ErrorRecord]:
        async def query() -> list[ErrorRecord]:
            async with ErrorStore() as store:
                return await store.list_errors(stkkr, limit=10_000)

        return asyncio.run(query())

    return read
