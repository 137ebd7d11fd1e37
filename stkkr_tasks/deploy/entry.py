"""The flow of a deployed stkkr, by the attribute its deployment names in ``flows/stkkrs.py``.

A deployment's entrypoint is ``flows/stkkrs.py:<name with _>``. When a run asks for that attribute, the stkkr
is found by name in the deployments directory, its file is loaded once and its flow built once (the same
flow as `run_stkkr` runs, plus the ``then:`` hook that starts the next deployments). Nothing else is read:
another stkkr's broken file cannot stop this one. When this stkkr's own file is missing or broken, the run
ends Failed with a message saying why.
"""

from __future__ import annotations

from prefect.states import Failed, State

from stkkr_tasks.deploy.chain import then_hook
from stkkr_tasks.names import is_name
from stkkr_tasks.run import compile_stkkr
from stkkr_tasks.run.flow import StkkrFlow, stkkr_flow
from stkkr_tasks.run.parameters import RunParameters
from stkkr_tasks.spec.files import StkkrFileError, load_stkkr_by_name


def stkkr_name(attribute: str) -> str:
    """The stkkr name an entrypoint attribute stands for (the inverse of `flow_attribute`).

    Raises:
        AttributeError: The attribute cannot name a stkkr (e.g. ``__path__``, which Python asks for).
    """
    name = attribute.replace("_", "-")  # stkkr names never hold "_"
    if not is_name(name):
        raise AttributeError(f"{attribute!r} does not name a stkkr")
    return name


def deployment_flow(attribute: str) -> StkkrFlow:
    """The flow a deployment with entrypoint ``flows/stkkrs.py:<attribute>`` runs.

    Args:
        attribute: The stkkr name with dashes replaced by underscores.

    Returns:
        The stkkr's flow with its ``then:`` hook; when its file is missing or does not load or compile, a
        flow of the same name whose runs end Failed with the reason.

    Raises:
        AttributeError: The attribute cannot name a stkkr.
    """
    name = stkkr_name(attribute)
    try:
        spec = load_stkkr_by_name(name).spec
        return compile_stkkr(spec, on_completion=[then_hook(spec.then or [])])
    except (StkkrFileError, ValueError) as exc:  # SpecError, ExpressionError: they name file and field only
        return _failing_flow(name, f"The stkkr {name!r} cannot run: {exc}")
    except Exception as exc:  # however broken the file, the run ends with a message, not a crash
        return _failing_flow(
            name, f"The stkkr {name!r} cannot run: its file does not load ({type(exc).__name__})."
        )


def _failing_flow(name: str, message: str) -> StkkrFlow:
    """A flow named after the stkkr whose runs end Failed with ``message`` (same parameters as its flow)."""

    async def cannot_run(parameters: RunParameters) -> State:
        return Failed(message=message)

    return stkkr_flow(name, cannot_run)
