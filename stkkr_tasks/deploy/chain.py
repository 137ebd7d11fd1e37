"""``then:`` ("and then"): after a successful run, start the named stkkrs' deployments, linked in the UI.

The hook runs when the run enters Completed and starts each named deployment without waiting
(``run_deployment(timeout=0)``); inside the finished run's context Prefect records the new run as its
subflow, so the Prefect UI shows the chain. Unknown names and cycles are refused before
anything is deployed: ``stkkr validate`` reports :func:`then_problems`, ``stkkr deploy`` and ``stkkr serve``
stop at :func:`refuse_broken_chains`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect.deployments import arun_deployment
from prefect.exceptions import ObjectNotFound
from prefect.logging import get_run_logger

from stkkr_tasks.names import deployment_name
from stkkr_tasks.spec import SpecError
from stkkr_tasks.spec.files import StkkrFile, valid_stkkr_files

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.client.schemas.objects import FlowRun, State
    from prefect.flows import FlowStateHook

    from stkkr_tasks.spec import Problem, StkkrSpec


def then_hook(names: Sequence[str]) -> FlowStateHook[..., Any]:
    """An ``on_completion`` hook that starts the deployments of ``names`` (none after a dry run).

    Args:
        names: The stkkrs of ``then:``, started in this order.

    Returns:
        The hook (async; Prefect runs it in the flow run's context).
    """
    chosen = tuple(names)

    async def start_then(flow: Flow[..., Any], flow_run: FlowRun, state: State) -> None:
        logger = get_run_logger()
        if flow_run.parameters.get("dry_run"):  # a custom run in the UI may set it; as in `run_stkkr`
            logger.info("then: a dry run starts no then: stkkrs (%s)", ", ".join(chosen))
            return
        for name in chosen:
            try:
                started = await arun_deployment(deployment_name(name), timeout=0, as_subflow=True)
            except ObjectNotFound:
                logger.warning("then: stkkr %r has no deployment; run `stkkr deploy` (or serve it)", name)
                continue
            logger.info("then: started stkkr %r (flow run %s)", name, started.id)

    return start_then


def then_problems(path: Path, spec: StkkrSpec) -> list[Problem]:
    """Problems of one file's ``then:`` among the stkkrs of the deployments directory (``stkkr validate``).

    Args:
        path: The file being validated.
        spec: Its loaded model.

    Returns:
        Unknown names in its ``then`` and cycles through it, each at the ``then`` line of the file.
    """

    if not spec.then:
        return []
    return _problems(spec, _graph([StkkrFile(path, spec)]))


def refuse_broken_chains(files: Sequence[StkkrFile]) -> None:
    """Refuse to deploy or serve ``files`` when a ``then:`` among them names no stkkr or makes a cycle.

    Args:
        files: The stkkr files about to be deployed (the rest of the deployments directory counts too).

    Raises:
        SpecError: Every such problem, at the ``then`` line of its file (as ``stkkr validate`` reports it).
    """

    chained = [file for file in files if file.spec.then]
    if not chained:
        return
    graph = _graph(files)
    problems = [problem for file in chained for problem in _problems(file.spec, graph)]
    if problems:
        raise SpecError(problems)


def _graph(files: Sequence[StkkrFile]) -> dict[str, list[str]]:
    """``then:`` edges of the deployments directory's valid stkkrs, ``files`` taking precedence."""

    chosen = {file.name for file in files}
    others = [f for f in valid_stkkr_files() if f.name not in chosen]
    return {f.name: list(f.spec.then) for f in [*others, *files]}


def _problems(spec: StkkrSpec, graph: Mapping[str, Sequence[str]]) -> list[Problem]:
    unknown = [name for name in spec.then if name not in graph]
    messages = [f"unknown stkkr {name!r} (no stkkr file defines it)" for name in unknown]
    cycles = [cycle for cycle in _cycles(graph) if spec.stkkr in cycle]
    messages += [f"cycle {' -> '.join([*cycle, cycle[0]])}" for cycle in cycles]
    return [spec.problem_at(("then",), message) for message in messages]


def _cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each elementary cycle once (depth-first search; reported from its smallest name)."""
    found: dict[tuple[str, ...], list[str]] = {}

    def visit(node: str, path: list[str]) -> None:
        for target in graph.get(node, ()):
            if target in path:
                cycle = path[path.index(target) :]
                start = cycle.index(min(cycle))
                canonical = cycle[start:] + cycle[:start]
                found.setdefault(tuple(canonical), canonical)
            elif target in graph:
                visit(target, [*path, target])

    for root in sorted(graph):
        visit(root, [root])
    return [found[key] for key in sorted(found)]
