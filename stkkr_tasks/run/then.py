"""``then:`` in this process: the stkkrs to run after a Completed run, found and loaded before any run.

A deployed run starts the deployments of its ``then:`` (see `stkkr_tasks.deploy.chain`); `run_stkkr` has no
deployments to start, so it runs them itself, one after the other, in this process. Every stkkr of the
chain is looked up by name in the deployments directory and loaded before the first one starts, so an
unknown name, a broken file or a cycle refuses the run before anything is sent to AFAS.
"""

from __future__ import annotations

from collections.abc import Mapping

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.spec import StkkrSpec
from stkkr_tasks.spec.files import StkkrFileError, load_stkkr_by_name


class ThenError(StkkrError, LookupError):
    """The ``then:`` chain of a stkkr cannot be followed (unknown name, broken file, cycle); nothing ran."""


def then_chain(spec: StkkrSpec) -> dict[str, StkkrSpec]:
    """Every stkkr that a Completed run of ``spec`` starts through ``then:``, directly or further down.

    Args:
        spec: The stkkr about to run.

    Returns:
        The stkkrs by name, each loaded once from the deployments directory (empty without ``then:``).

    Raises:
        ThenError: A name has no valid file, or the chain comes back to a stkkr already in it.
    """
    chain: dict[str, StkkrSpec] = {}
    _walk(spec, (spec.stkkr,), chain)
    return chain


def followers(spec: StkkrSpec, chain: Mapping[str, StkkrSpec]) -> list[StkkrSpec]:
    """The stkkrs of ``spec.then``, in order, from a chain built by `then_chain`."""
    return [chain[name] for name in spec.then or []]


def _walk(spec: StkkrSpec, path: tuple[str, ...], chain: dict[str, StkkrSpec]) -> None:
    for name in spec.then or []:
        if name in path:
            raise ThenError(f"then: cycle {' -> '.join([*path, name])}; nothing was run")
        if name not in chain:
            try:
                chain[name] = load_stkkr_by_name(name).spec
            except StkkrFileError as exc:
                raise ThenError(f"then: {exc}; nothing was run") from None
        _walk(chain[name], (*path, name), chain)
