"""The list of CLI command modules. Each exposes `register(app: typer.Typer) -> None`."""

from __future__ import annotations

import importlib
from types import ModuleType

# One line per command module; keep sorted.
_MODULES: list[str] = [
    "connection",
    "consent",
    "demo",
    "deploy",
    "dsr",
    "errors",
    "invoice",
    "notify",
    "portal",
    "retention",
    "run",
    "run_once",
    "server",
    "simulator",
    "spec",
    "tenant",
    "trigger",
    "user",
]


def modules() -> list[ModuleType]:
    """Import and return every registered command module."""
    return [importlib.import_module(f"stkkr_tasks.cli.{name}") for name in _MODULES]
