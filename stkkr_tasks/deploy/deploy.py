"""`stkkr deploy`: one Prefect deployment per stkkr file, plus the nightly retention deployment.

Each stkkr deployment is named after the stkkr (``<name>/<name>``), runs the flow ``flows/stkkrs.py:<name>``
on a process work pool, carries only the stkkr's name as parameter, the tags ``stkkr:<name>`` and
``tenant:<tenant>``, the file's description and schedule, and a concurrency limit of 1 with the ENQUEUE
collision strategy: a run that finds the previous run of the same stkkr still going waits for it
(``AwaitingConcurrencySlot``) instead of overlapping it or being dropped.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.utilities.asyncutils import run_coro_as_sync

from stkkr_tasks.deploy.alerts import AlertsSynced, plan_alerts, sync_alerts
from stkkr_tasks.deploy.chain import refuse_broken_chains
from stkkr_tasks.deploy.crashes import HEARTBEAT_ENV, ensure_crash_automation
from stkkr_tasks.deploy.schedules import Schedule, deployment_schedules, prefect_schedules, sync_schedules
from stkkr_tasks.deploy.steps import pull_steps
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.names import deployment_name
from stkkr_tasks.seam import STKKRS_MODULE, privacy_deployments, project_dir, retention_deployment
from stkkr_tasks.spec.files import (
    DEPLOYMENTS_DIR_ENV,
    StkkrFile,
    deployments_dir,
    flow_attribute,
    load_stkkr_files,
)

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.deployments.runner import RunnerDeployment
    from prefect.events.schemas.automations import AutomationCore
    from prefect.runner import Runner

DEFAULT_WORK_POOL = "stkkr"
"""The process work pool that stkkr deployments target unless told otherwise."""

STKKR_PARAMETER = "stkkr"
"""The one flow parameter of a stkkr deployment: the stkkr's name."""

CONCURRENCY = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
"""One run per stkkr at a time; a colliding run waits for the slot."""


class DeployError(StkkrError, RuntimeError):
    """A deployment could not be created as asked (message names the stkkr or path)."""


@dataclass(frozen=True)
class StkkrDeployment:
    """What Prefect should know about one stkkr: the plan both ``stkkr deploy`` and ``prefect.yaml`` use.

    Attributes:
        name: The stkkr name; also the flow and deployment name.
        entrypoint: ``flows/stkkrs.py:<attribute>``.
        parameters: ``{"stkkr": name}`` and nothing else.
        tags: ``stkkr:<name>`` and, when the file names one, ``tenant:<tenant>``.
        description: The file's description.
        schedules: The Prefect schedules (empty: manual runs only).
    """

    name: str
    entrypoint: str
    parameters: dict[str, str]
    tags: list[str]
    description: str | None
    schedules: list[Schedule] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        """``<flow>/<deployment>``, as ``prefect deployment run`` and ``run_deployment`` want it."""
        return deployment_name(self.name)


@dataclass(frozen=True)
class Deployed:
    """One deployment that ``stkkr deploy`` created or updated.

    Attributes:
        name: ``<flow>/<deployment>``.
        deployment_id: Its id in Prefect.
        schedules: The schedules it has now.
        schedule_changed: True when its schedules were created, changed or removed.
        alerts: What happened to its alert automations (None for the retention flow).
    """

    name: str
    deployment_id: UUID
    schedules: list[Schedule]
    schedule_changed: bool
    alerts: AlertsSynced | None = None


def stkkr_tags(name: str, tenant: str | None) -> list[str]:
    """The tags of a stkkr's deployment and runs.

    Args:
        name: The stkkr name.
        tenant: The tenant, if the file names one.

    Returns:
        ``["stkkr:<name>"]`` plus ``"tenant:<tenant>"`` when given.
    """
    return [f"stkkr:{name}", *([f"tenant:{tenant}"] if tenant else [])]


def plan(file: StkkrFile) -> StkkrDeployment:
    """The deployment of one stkkr file.

    Args:
        file: The loaded stkkr file.

    Returns:
        Its deployment plan.
    """
    spec = file.spec
    return StkkrDeployment(
        name=spec.stkkr,
        entrypoint=f"{STKKRS_MODULE}:{flow_attribute(spec.stkkr)}",
        parameters={STKKR_PARAMETER: spec.stkkr},
        tags=stkkr_tags(spec.stkkr, spec.tenant),
        description=spec.description or None,
        schedules=prefect_schedules(spec),
    )


def runner_deployment(item: StkkrDeployment, work_pool: str | None) -> RunnerDeployment:
    """A Prefect ``RunnerDeployment`` of the plan (schedules are applied apart, see :func:`apply`).

    The flow is loaded from its absolute path, so any working directory works; the recorded entrypoint is
    relative to the project directory, which the pull step enters before each run.

    Args:
        item: The plan.
        work_pool: The work pool it will target, or None when ``stkkr serve`` runs it.

    Returns:
        The deployment object, not yet applied.
    """
    # lazy: Prefect's runner and its docker support (about 70 modules) load only to deploy or serve

    attribute = item.entrypoint.split(":", 1)[1]
    deployment = RunnerDeployment.from_entrypoint(
        f"{project_dir() / STKKRS_MODULE}:{attribute}",
        name=item.name,
        parameters=item.parameters,
        tags=item.tags,
        description=item.description,
        concurrency_limit=CONCURRENCY,
    )
    deployment.entrypoint = item.entrypoint
    _run_in_project(deployment, work_pool)
    return deployment


def retention_runner_deployment(work_pool: str | None) -> RunnerDeployment:
    """The retention flow's nightly deployment (defined by ``flows/retention.py``), set up like the stkkrs'.

    Args:
        work_pool: The work pool it will target, or None when ``stkkr serve`` runs it.

    Returns:
        The deployment object, not yet applied; its schedules are still on it.
    """
    deployment = retention_deployment()
    deployment.entrypoint = _project_relative(deployment.entrypoint)
    _run_in_project(deployment, work_pool)
    return deployment


def privacy_runner_deployments(work_pool: str | None) -> list[RunnerDeployment]:
    """The daily ``dsr-deadlines`` and monthly ``purge-inactive-customers`` deployments, like retention's.

    Args:
        work_pool: The work pool they will target, or None when ``stkkr serve`` runs them.

    Returns:
        The deployment objects, not yet applied; their schedules are still on them.
    """
    deployments = privacy_deployments()
    for deployment in deployments:
        deployment.entrypoint = _project_relative(deployment.entrypoint)
        _run_in_project(deployment, work_pool)
    return deployments


def build_deployments(
    files: Sequence[StkkrFile], *, work_pool: str | None, retention: bool
) -> list[tuple[RunnerDeployment, list[Schedule]]]:
    """The deployments of ``files`` (and the retention flow), each with the schedules it must have.

    Args:
        files: Loaded stkkr files, all inside the deployments directory.
        work_pool: The work pool to target, or None for ``stkkr serve``.
        retention: Include the retention deployment and the privacy ones (DSR deadlines, purge).

    Returns:
        ``(deployment, schedules)`` pairs, ready for :func:`apply`.

    Raises:
        DeployError: A file lies outside the deployments directory (runs could not find it by name).
        SpecError: A ``then:`` names no stkkr or makes a cycle.
    """

    _refuse_outside_deployments_dir(files)
    refuse_broken_chains(files)
    built = []
    for file in files:
        item = plan(file)
        built.append((runner_deployment(item, work_pool), item.schedules))
    if retention:
        for deployment in [retention_runner_deployment(work_pool), *privacy_runner_deployments(work_pool)]:
            built.append((deployment, deployment_schedules(deployment)))
    return built


async def apply(
    client: PrefectClient, deployment: RunnerDeployment, wanted: list[Schedule], runner: Runner | None = None
) -> Deployed:
    """Create or update one deployment, then make its schedules exactly ``wanted``.

    The deployment object stops carrying schedules, so applying it never touches the deployment's
    schedules (Prefect would keep removed ones); then :func:`sync_schedules` makes them exactly
    ``wanted``. Every update of a deployment deletes its future auto-scheduled runs, so the schedules
    are synced last and the deployment is applied once: by ``runner`` when one will serve it.

    Args:
        client: An open Prefect client.
        deployment: From :func:`build_deployments`.
        wanted: The schedules it must have.
        runner: The Prefect runner of ``stkkr serve``, which applies and registers the deployment.

    Returns:
        What was deployed.
    """
    _leave_schedules_alone(deployment)
    if runner is None:
        deployment_id = await deployment.aapply(work_pool_name=deployment.work_pool_name)
    else:
        deployment_id = await runner.aadd_deployment(deployment)
    changed = await sync_schedules(client, deployment_id, wanted)
    return Deployed(deployment.full_name, deployment_id, wanted, changed)


async def adeploy(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    work_pool: str = DEFAULT_WORK_POOL,
    retention: bool = True,
) -> list[Deployed]:
    """Create or update the deployments of the stkkr files under ``paths`` on the current Prefect API.

    Args:
        paths: Stkkr files or directories inside the deployments directory; default all of it.
        work_pool: The process work pool to target; created when missing.
        retention: Also deploy the nightly retention flow.

    Returns:
        One entry per deployment, stkkrs first, in file order.

    Raises:
        stkkr_tasks.spec.SpecError: A file does not validate, or a ``then:`` names no stkkr or makes a cycle.
        DeployError: A file lies outside the deployments directory.
        AlertBlockError: An alert names a notification block that does not exist (nothing was deployed).
    """

    files = load_stkkr_files(paths)
    built = build_deployments(files, work_pool=work_pool, retention=retention)
    async with get_client() as client:
        alerts = await plan_alerts(client, [file.spec for file in files])
        await ensure_work_pool(client, work_pool)
        await ensure_crash_automation(client)
        done = [await apply(client, deployment, wanted) for deployment, wanted in built]
        return await with_alerts(client, done, alerts)


async def with_alerts(
    client: PrefectClient, done: list[Deployed], alerts: list[tuple[str, list[AutomationCore]]]
) -> list[Deployed]:
    """Sync each stkkr's alert automations (from `plan_alerts`) and note the outcome on its deployment.

    Args:
        client: An open Prefect client.
        done: The applied deployments, stkkrs first in the order of ``alerts``.
        alerts: ``(stkkr, automations)`` pairs.

    Returns:
        ``done`` with ``alerts`` filled in for the stkkrs.
    """

    synced = [await sync_alerts(client, stkkr, wanted) for stkkr, wanted in alerts]
    return [replace(item, alerts=result) for item, result in zip(done, synced, strict=False)] + done[
        len(synced) :
    ]


def deploy(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    work_pool: str = DEFAULT_WORK_POOL,
    retention: bool = True,
) -> list[Deployed]:
    """Synchronous :func:`adeploy` (also safe inside a running event loop): the same arguments and result."""

    return run_coro_as_sync(adeploy(paths, work_pool=work_pool, retention=retention))


async def ensure_work_pool(client: PrefectClient, name: str) -> None:
    """Create the process work pool ``name`` unless it exists.

    Args:
        client: An open Prefect client.
        name: The work pool name.
    """

    try:
        await client.read_work_pool(name)
    except ObjectNotFound:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def _leave_schedules_alone(deployment: RunnerDeployment) -> None:
    """Make ``apply`` send no schedules: none on create, and none (so none changed) on update."""
    deployment.schedules = []
    deployment.model_fields_set.discard("schedules")  # unset fields are left out of Prefect's update


def _run_in_project(deployment: RunnerDeployment, work_pool: str | None) -> None:
    """Point the deployment at the project directory (pull step) and at its work pool, or at none."""
    deployment.storage = _PullSteps(pull_steps(str(project_dir())))
    deployment.work_pool_name = work_pool  # None detaches a deployment that `stkkr serve` takes over
    if work_pool:
        env = dict(HEARTBEAT_ENV)  # a dead worker's run is found by its missing heartbeats (crashes.py)
        if os.environ.get(DEPLOYMENTS_DIR_ENV):
            env[DEPLOYMENTS_DIR_ENV] = os.environ[DEPLOYMENTS_DIR_ENV]
        deployment.job_variables = {"env": env}


def _refuse_outside_deployments_dir(files: Sequence[StkkrFile]) -> None:
    root = deployments_dir().resolve()
    for file in files:
        if not file.path.resolve().is_relative_to(root):
            raise DeployError(
                f"{file.path} is outside the deployments directory {root}: runs find stkkr files by name "
                f"there (move the file, or set {DEPLOYMENTS_DIR_ENV})"
            )


def _project_relative(entrypoint: str | None) -> str:
    """An entrypoint computed relative to the working directory, re-based on the project directory."""
    if not entrypoint or ":" not in entrypoint:
        raise DeployError(f"the retention deployment has no file entrypoint ({entrypoint!r})")
    file, attribute = entrypoint.rsplit(":", 1)
    absolute = (Path.cwd() / file).resolve()
    return f"{absolute.relative_to(project_dir()).as_posix()}:{attribute}"


class _PullSteps:
    """Minimal `RunnerStorage` that only records pull steps (the code is already on the workers)."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self._steps = steps

    def set_base_path(self, path: Path) -> None:
        """Unused: nothing is downloaded."""

    @property
    def pull_interval(self) -> int | None:
        """Nothing to pull periodically."""
        return None

    @property
    def destination(self) -> Path:
        """The project directory."""
        return project_dir()

    async def pull_code(self) -> None:
        """Nothing to pull: the project is on the machine."""

    def to_pull_step(self) -> list[dict[str, Any]]:
        """The recorded pull steps."""
        return self._steps
