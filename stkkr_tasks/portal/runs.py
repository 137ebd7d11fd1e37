"""What the portal reads from Prefect: a tenant's stkkrs (deployments tagged `tenant:T`), their schedules,
next and last runs with the summary counts, and "run now". A stkkr of another tenant is not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    DeploymentFilterTags,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound

from stkkr_tasks.deploy.deploy import STKKR_PARAMETER, deployment_name
from stkkr_tasks.deploy.history import RunRecord, records
from stkkr_tasks.deploy.schedules import describe
from stkkr_tasks.tenants import NotFoundError

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.responses import DeploymentResponse


@dataclass(frozen=True)
class StkkrView:
    """One stkkr of a tenant as the portal shows it."""

    name: str
    description: str
    schedule: str
    next_run: datetime | None
    runs: list[RunRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values, runs with their counts."""
        return {
            "name": self.name,
            "description": self.description,
            "schedule": self.schedule,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "runs": [{**run.to_json(), "flow_run_id": run.summary.flow_run_id} for run in self.runs],
        }


def tenant_tag(tenant: str) -> str:
    """The tag of a tenant's deployments and runs."""
    return f"tenant:{tenant}"


async def tenant_stkkrs(tenant: str, runs: int = 3) -> list[StkkrView]:
    """The stkkrs of `tenant`, by name, each with its last `runs` runs."""

    tags = DeploymentFilter(tags=DeploymentFilterTags(all_=[tenant_tag(tenant)]))
    async with get_client() as client:
        deployments = await client.read_deployments(deployment_filter=tags)
        views = [await _view(client, d, tenant, runs) for d in deployments if _stkkr(d)]
    return sorted(views, key=lambda view: view.name)


async def stkkr_view(tenant: str, name: str, runs: int = 20) -> StkkrView:
    """One stkkr of `tenant` with its last `runs` runs.

    Raises:
        NotFoundError: No such stkkr, or it belongs to another tenant.
    """

    async with get_client() as client:
        deployment = await _deployment(client, tenant, name)
        return await _view(client, deployment, tenant, runs)


async def run_now(tenant: str, name: str) -> UUID:
    """Start a run of `tenant`'s stkkr `name` now (it waits its turn behind a running one).

    Raises:
        NotFoundError: No such stkkr, or it belongs to another tenant.
    """

    async with get_client() as client:
        deployment = await _deployment(client, tenant, name)
        flow_run = await client.create_flow_run_from_deployment(deployment.id)
    return flow_run.id


async def _deployment(client: PrefectClient, tenant: str, name: str) -> DeploymentResponse:
    try:
        deployment = await client.read_deployment_by_name(deployment_name(name))
    except ObjectNotFound:
        deployment = None
    if deployment is None or tenant_tag(tenant) not in deployment.tags or _stkkr(deployment) != name:
        raise NotFoundError(f"no stkkr {name!r}")
    return deployment


def _stkkr(deployment: DeploymentResponse) -> str | None:
    name = (deployment.parameters or {}).get(STKKR_PARAMETER)
    return name if isinstance(name, str) else None


async def _view(client: PrefectClient, deployment: DeploymentResponse, tenant: str, runs: int) -> StkkrView:
    name = _stkkr(deployment) or deployment.name
    started = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[f"stkkr:{name}", tenant_tag(tenant)]),
        start_time=FlowRunFilterStartTime(is_null_=False),
    )
    last = await client.read_flow_runs(flow_run_filter=started, sort=FlowRunSort.START_TIME_DESC, limit=runs)
    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
    )
    upcoming = await client.read_flow_runs(
        flow_run_filter=scheduled,
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=1,
    )
    schedules = [s.schedule for s in deployment.schedules or [] if s.active]
    return StkkrView(
        name=name,
        description=deployment.description or "",
        schedule=describe(schedules),  # type: ignore[arg-type]
        next_run=upcoming[0].expected_start_time if upcoming else None,
        runs=await records(client, last),
    )
