"""``then:`` ("and then"): after a successful run, start the named stkkrs' deployments, linked in the UI.

The hook runs when the run enters Completed and starts each named deployment without waiting
(``run_deployment(timeout=0)``); inside the finished run's context Prefect records the new run as its
subflow, so the Prefect UI shows the chain. :func:`chain_problems` refuses unknown names and cycles before
anything is deployed (``stkkr validate``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stkkr_tasks.deploy.deploy import deployment_name
from stkkr_tasks.spec.errors import Problem

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.client.schemas.objects import FlowRun, State

    from stkkr_tasks.deploy.files import StkkrFile

Hook = Callable[["Flow[..., Any]", "FlowRun", "State"], Coroutine[Any, Any, None]]



def then_hook(names: Sequence[str]) -> Hook:
    """An ``on_completion`` hook that starts the deployments of ``names``.

    Args:
        names: The stkkrs of ``then:``, started in this order.

    Returns:
        The hook (async; Prefect runs it in the flow run's context).
    """
    chosen = tuple(names)

    async def start_then(flow: Flow[..., Any], flow_run: FlowRun, state: State) -> None:
        from prefect.deployments import arun_deployment
        from prefect.exceptions import ObjectNotFound
        from prefect.logging import get_run_logger

        logger = get_run_logger()
        for name in chosen:
            try:
                started = await arun_deployment(deployment_name(name), timeout=0, as_subflow=True)
            except ObjectNotFound:
                logger.warning("then: stkkr %r has no deployment; run `stkkr deploy` (or serve it)", name)
                continue
            logger.info("then: started stkkr %r (flow run %s)", name, started.id)

    return start_then


def chain_problems(files: Sequence[StkkrFile], known: Iterable[str] = ()) -> list[Problem]:
    """Unknown names and cycles in the ``then:`` lists of ``files``.

    Args:
        files: The stkkr files to check (their ``then`` lists are the edges).
        known: Further stkkr names that exist (e.g. every file in the deployments directory).

    Returns:
        One problem (field path ``then``) per unknown name and per cycle; empty when all chains are sound.
    """
    graph = {file.name: list(file.spec.then or []) for file in files}
    where = {file.name: file.path for file in files}
    names = set(graph) | set(known)
    problems = [
        _problem(where[name], f"unknown stkkr {target!r} (no stkkr file defines it)")
        for name, targets in graph.items()
        for target in targets
        if target not in names
    ]
    for cycle in _cycles(graph):
        problems.append(_problem(where[cycle[0]], f"cycle {' -> '.join([*cycle, cycle[0]])}"))
    return problems


def _cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each elementary cycle once (depth-first search; reported from its smallest name)."""
    found: dict[tuple[str, ...], list[str]] = {}

    def visit(node: str, path: list[str]) -> None:
        for target in graph.get(node, ()):
            if target in path:
                cycle = path[path.index(target):]
                start = cycle.index(min(cycle))
                canonical = cycle[start:] + cycle[:start]
                found.setdefault(tuple(canonical), canonical)
            elif target in graph:
                visit(target, [*path, target])

    for root in sorted(graph):
        visit(root, [root])
    return [found[key] for key in sorted(found)]


def _problem(file: Path, message: str) -> Problem:
    return Problem(file=str(file), line=None, path="then", message=message)
