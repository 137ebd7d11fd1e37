"""The types of the shared fixtures (tests/conftest.py, tests/flows/conftest.py), for test signatures."""

from __future__ import annotations

from collections.abc import Callable

from stkkr_tasks.simulator import Simulator
from stkkr_tasks.spec import StkkrSpec
from stkkr_tasks.store import ErrorRecord

MakeSimulator = Callable[..., Simulator]
"""`make_simulator`: starts a simulator with the given options."""

Connect = Callable[..., str]
"""`connect`: saves a connection block for a simulator and returns its name."""

MakeSpec = Callable[..., StkkrSpec]
"""`make_spec`: loads a stkkr from YAML text with `{name}` and `{connection}` filled in."""

ErrorRecords = Callable[[str], list[ErrorRecord]]
"""`error_records`: the error records of a flow run."""
