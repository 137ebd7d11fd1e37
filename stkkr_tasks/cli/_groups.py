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
    "doctor",
    "dsr",
    "errors",
    "invoice",
    "notify",
    "portal",
    "retention",
    "retry",
    "run",
    "run_once",
    "server",
    "simulator",
    "spec",
    "tenant",
    "trigger",
    "user",
]


# Commands whose module has another name; any other command lives in the module of its own name.
_MODULE_OF = {
    "history": "trigger",
    "run-once": "run_once",
    "schema": "spec",
    "serve": "deploy",
    "up": "deploy",
    "validate": "spec",
}


def modules(command: str | None = None) -> list[ModuleType]:
    """Import and return the command module of `command`, or every registered one (help, unknown commands).

    Importing only the module asked for keeps a command from paying for the imports of all the others.
    """
    name = _MODULE_OF.get(command or "", command)
    names = [name] if name in _MODULES else _MODULES
    return [importlib.import_module(f"stkkr_tasks.cli.{module}") for module in names]
