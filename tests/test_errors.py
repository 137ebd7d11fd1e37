"""One exception root: everything stkkr raises on purpose is a `StkkrError`, and the tree says so."""

from __future__ import annotations

import importlib
import inspect

import pytest

import stkkr_tasks
from stkkr_tasks import errors
from stkkr_tasks.errors import StkkrError

# The modules that define stkkr's public exceptions (errors.py's tree names each).
MODULES = [
    "stkkr_tasks.afas.exceptions",
    "stkkr_tasks.spec.errors",
    "stkkr_tasks.store.errors",
    "stkkr_tasks.spec.files",
    "stkkr_tasks.deploy.deploy",
    "stkkr_tasks.deploy.trigger",
    "stkkr_tasks.run.session",
    "stkkr_tasks.run.then",
    "stkkr_tasks.tasks._errors",
    "stkkr_tasks.connections",
    "stkkr_tasks.tenants.errors",
    "stkkr_tasks.demo",
    "stkkr_tasks.localstack",
]


def _exceptions(module_name: str) -> list[type[BaseException]]:
    module = importlib.import_module(module_name)
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == module_name
    ]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_exception_of_ours_is_a_stkkr_error(module_name: str) -> None:
    classes = _exceptions(module_name)
    assert classes, module_name
    for cls in classes:
        assert issubclass(cls, StkkrError), cls.__qualname__


def test_the_families_are_named_in_the_tree() -> None:
    for name in (
        "AfasError",
        "SpecError",
        "ExpressionError",
        "StoreError",
        "ConnectionNotFoundError",
        "ConnectionOutdatedError",
        "StkkrFileError",
        "DeployError",
        "TriggerError",
        "StkkrMismatch",
        "ThenError",
        "RunAborted",
    ):
        assert name in errors.__doc__, name


def test_builtin_bases_are_kept_for_older_except_clauses() -> None:
    from stkkr_tasks.afas import AfasConfigError
    from stkkr_tasks.deploy import DeployError, StkkrFileError
    from stkkr_tasks.spec import SpecError

    assert issubclass(SpecError, ValueError)
    assert issubclass(AfasConfigError, ValueError)
    assert issubclass(StkkrFileError, LookupError)
    assert issubclass(DeployError, RuntimeError)


def test_the_root_is_exported() -> None:
    assert stkkr_tasks.StkkrError is StkkrError
    assert "StkkrError" in stkkr_tasks.__all__
