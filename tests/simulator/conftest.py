"""Fixtures for the simulator tests: a running simulator and a raw httpx client carrying its token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from stkkr_tasks.simulator import Simulator

LOG_REFERENCE = re.compile(r"^[0-9A-F]{32}$")


@pytest.fixture
def sim(make_simulator: Callable[..., Simulator]) -> Simulator:
    """A running simulator with 200 rows per GetConnector."""
    return make_simulator(rows=200, seed=1)


@pytest.fixture
def http(sim: Simulator) -> Iterator[httpx.Client]:
    """A raw HTTP client for `sim`, with the AfasToken header."""
    assert sim.base_url is not None
    with httpx.Client(
        base_url=sim.base_url, headers={"Authorization": sim.auth_header}, timeout=30
    ) as client:
        yield client


def assert_afas_error(response: httpx.Response, fragment: str) -> dict[str, Any]:
    """The response is AFAS's HTTP 500 error whose message contains `fragment`."""
    assert response.status_code == 500, response.text
    body = response.json()
    assert fragment in body["externalMessage"]
    assert isinstance(body["errorNumber"], int)
    assert LOG_REFERENCE.match(body["profitLogReference"])
    return body
