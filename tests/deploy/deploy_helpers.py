"""Helpers of the deployment tests: a small valid stkkr document, polling with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

CONNECTION = "sim-deploy"




def stkkr_document(name: str, **overrides: Any) -> dict[str, Any]:
    """A small valid stkkr: close the projects of the simulator (update PtProject), manual by default."""
    document: dict[str, Any] = {
        "stkkr": name,
        "description": f"Test stkkr {name}",
        "connection": CONNECTION,
        "get": {"connector": "Profit_Projects", "order_by": ["ProjectId"], "page_size": 50},
        "transform": {"keys": {"@PrId": "{{ row.ProjectId }}"}, "fields": {"Ds": "closed by stkkr"}},
        "update": {"connector": "PtProject", "action": "update"},
    }
    document.update(overrides)
    return {key: value for key, value in document.items() if value is not None}


def eventually(
    probe: Callable[[], T | None], what: str, timeout: float = 60.0, status: Callable[[], Any] | None = None
) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` and `status()` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}" + (f": {status()}" if status else ""))
