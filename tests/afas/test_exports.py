"""The public surface of `stkkr_tasks.afas` stays complete, sorted and printable without secrets."""

from __future__ import annotations

import inspect

import stkkr_tasks.afas as afas
from stkkr_tasks.afas import exceptions


def test_all_is_unique_and_importable() -> None:
    assert len(afas.__all__) == len(set(afas.__all__))
    for name in afas.__all__:
        assert getattr(afas, name) is not None


def test_every_exception_is_exported_documented_and_in_the_tree() -> None:
    classes = [c for _, c in inspect.getmembers(exceptions, inspect.isclass) if issubclass(c, afas.AfasError)]
    assert {c.__name__ for c in classes} == set(exceptions.__all__)
    assert set(exceptions.__all__) <= set(afas.__all__)
    for cls in classes:
        assert cls.__doc__, cls.__name__
        assert cls.__name__ in exceptions.__doc__


def test_contract_hierarchy() -> None:
    assert issubclass(afas.AfasConfigError, ValueError) and issubclass(afas.AfasQueryTooLongError, ValueError)
    assert issubclass(afas.AfasConnectError, afas.AfasTransportError)
    assert issubclass(afas.AfasTimeoutError, afas.AfasTransportError)
    for name in ("BadRequest", "Auth", "Forbidden", "NotFound", "PayloadTooLarge", "Validation", "Server",
                 "Unavailable"):  # fmt: skip
        assert issubclass(getattr(afas, f"Afas{name}Error"), afas.AfasResponseError)
