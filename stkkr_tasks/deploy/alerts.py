"""A stkkr's ``alerts:`` as Prefect automations, and making Prefect's automations match the file.

Each alert becomes one automation named ``stkkr <name>: <condition>`` and tagged ``stkkr:<name>``, with an
event trigger on `stkkr.run.finished` (see `stkkr_tasks.run.events`) and one ``SendNotification`` action per
named notification block. The notification text names the stkkr, its tenant, the state and the counts; it
never holds a row value. Dry runs never alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.run.events import EVENT, failed_rows_thresholds, resource_id
from stkkr_tasks.spec.model import FailedRows, NoSuccessFor
from stkkr_tasks.store.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.events.schemas.automations import AutomationCore

    from stkkr_tasks.spec import StkkrSpec
    from stkkr_tasks.spec.model import Alert

TAG_PREFIX = "stkkr:"
"""Automations of a stkkr carry the tag ``stkkr:<name>``; stkkr manages exactly those."""

_COUNTS = (
    "read {{ event.payload.read }}, filtered out {{ event.payload.filtered_out }}, "
    "skipped {{ event.payload.skipped }}, written {{ event.payload.written }}, "
    "failed {{ event.payload.failed }}"
)


class AlertBlockError(StkkrError, LookupError):
    """An alert names a notification block that does not exist (the message names it and how to add one)."""


@dataclass(frozen=True)
class AlertsSynced:
    """What syncing one stkkr's automations did.

    Attributes:
        stkkr: The stkkr's name.
        created: Names of the automations created.
        updated: Names of the automations changed.
        removed: Names of the automations deleted.
    """

    stkkr: str
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when any automation was created, changed or removed."""
        return bool(self.created or self.updated or self.removed)


def automation_name(stkkr: str, alert: Alert) -> str:
    """The automation name of one alert: ``stkkr <name>: <condition>``."""
    return f"stkkr {stkkr}: {alert.slug}"


def automation(spec: StkkrSpec, alert: Alert, blocks: dict[str, UUID]) -> AutomationCore:
    """The Prefect automation of one alert of a stkkr.

    Args:
        spec: The stkkr.
        alert: One of its alerts.
        blocks: Notification block ids by name; every name in ``alert.notify`` must be there.

    Returns:
        The automation, not yet created.
    """

    who = f"stkkr {spec.stkkr} (tenant {spec.tenant or DEFAULT_TENANT})"
    match: dict[str, str | list[str]] = {"prefect.resource.id": resource_id(spec.stkkr), "dry_run": "false"}
    posture, within = Posture.Reactive, timedelta(0)
    when = alert.when
    if isinstance(when, FailedRows):
        match["state"] = "Completed"
        match["failed_rows_alert"] = [str(n) for n in failed_rows_thresholds(spec) if n >= when.failed_rows]
        subject = f"{who}: {{{{ event.payload.failed }}}} failed rows"
        body = f"{who} completed with failed rows (alert from {when.failed_rows}): {_COUNTS}."
    elif isinstance(when, NoSuccessFor):
        match["state"] = "Completed"
        posture, within = Posture.Proactive, when.period
        subject = f"{who}: no successful run for {when.no_success_for}"
        body = f"{who} has had no Completed run for {when.no_success_for}."
    else:
        match["state"] = "Failed"
        subject = f"{who}: Failed"
        body = f"{who} ended Failed: {_COUNTS}."
    body += f" Details: the Prefect UI, or `stkkr errors list --stkkr {spec.stkkr}`."
    return AutomationCore(
        name=automation_name(spec.stkkr, alert),
        description=f"Alert of the stkkr {spec.stkkr}, kept by `stkkr deploy` (edit the stkkr file instead).",
        enabled=True,
        tags=[f"{TAG_PREFIX}{spec.stkkr}"],
        trigger=EventTrigger(expect={EVENT}, match=match, posture=posture, threshold=1, within=within),
        actions=[
            SendNotification(block_document_id=blocks[name], subject=subject, body=body)
            for name in alert.notify
        ],
    )


async def notification_blocks(client: PrefectClient, names: Sequence[str]) -> dict[str, UUID]:
    """The ids of the notification blocks called ``names`` (blocks that can notify, of any type).

    Args:
        client: An open Prefect client.
        names: Block names.

    Returns:
        Id by name, for the names that exist.

    Raises:
        AlertBlockError: A name belongs to blocks of more than one notification type.
    """
    if not names:
        return {}
    response = await client.request(
        "POST",
        "/block_documents/filter",
        json={
            "block_documents": {"name": {"any_": sorted(set(names))}, "is_anonymous": {"eq_": False}},
            "block_schemas": {"block_capabilities": {"all_": ["notify"]}},
        },
    )
    found: dict[str, UUID] = {}
    for document in response.json():
        if document["name"] in found:
            raise AlertBlockError(
                f"more than one notification block is called {document['name']!r}; give them different names"
            )
        found[document["name"]] = UUID(document["id"])
    return found


def missing_blocks_message(missing: Sequence[str]) -> str:
    """What to say about notification blocks that do not exist, with how to add one."""
    names = ", ".join(repr(name) for name in missing)
    return (
        f"no notification block called {names} on this Prefect server; add one with "
        f"`stkkr notify add NAME --webhook URL` (or --slack URL), or in the Prefect UI under Blocks"
    )


async def wanted_automations(client: PrefectClient, spec: StkkrSpec) -> list[AutomationCore]:
    """The automations a stkkr's alerts ask for.

    Raises:
        AlertBlockError: An alert names a notification block that does not exist.
    """
    names = [name for alert in spec.alerts for name in alert.notify]
    blocks = await notification_blocks(client, names)
    missing = sorted(set(names) - blocks.keys())
    if missing:
        raise AlertBlockError(f"{spec.stkkr}: alerts: {missing_blocks_message(missing)}")
    return [automation(spec, alert, blocks) for alert in spec.alerts]


async def plan_alerts(
    client: PrefectClient, specs: Sequence[StkkrSpec]
) -> list[tuple[str, list[AutomationCore]]]:
    """The automations of every stkkr, checked before anything changes.

    Returns:
        ``(stkkr name, automations)`` pairs for `sync_alerts`.

    Raises:
        AlertBlockError: An alert names a notification block that does not exist.
    """
    return [(spec.stkkr, await wanted_automations(client, spec)) for spec in specs]


async def sync_alerts(client: PrefectClient, stkkr: str, wanted: Sequence[AutomationCore]) -> AlertsSynced:
    """Make the automations tagged ``stkkr:<name>`` exactly ``wanted``: create, update or delete as needed.

    Args:
        client: An open Prefect client.
        stkkr: The stkkr's name.
        wanted: Its automations (from `plan_alerts`).

    Returns:
        What was created, changed and removed.
    """
    by_name = {item.name: item for item in wanted}
    tag = f"{TAG_PREFIX}{stkkr}"
    existing = [item for item in await client.read_automations() if tag in item.tags]
    created, updated, removed = [], [], []
    kept: set[str] = set()
    for item in existing:
        target = by_name.get(item.name)
        if target is None or item.name in kept:
            await client.delete_automation(item.id)
            removed.append(item.name)
            continue
        kept.add(item.name)
        if _comparable(item) != _comparable(target):
            await client.update_automation(item.id, target)
            updated.append(item.name)
    for name, target in by_name.items():
        if name not in kept:
            await client.create_automation(target)
            created.append(name)
    return AlertsSynced(stkkr, tuple(created), tuple(updated), tuple(removed))


def _comparable(item: AutomationCore) -> dict[str, Any]:
    """What decides whether an automation must be updated (ids and server fields left out)."""
    return item.model_dump(
        mode="json",
        include={"name", "description", "enabled", "tags", "trigger", "actions"},
        exclude_none=True,
    )
