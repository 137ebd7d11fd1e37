"""`stkkr notify add`, `stkkr deploy` with `alerts:` and `stkkr validate --online` checking the blocks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from prefect import get_client
from prefect.blocks.notifications import CustomWebhookNotificationBlock, SlackWebhook
from typer.testing import CliRunner

from stkkr_tasks.cli import deploy as deploy_cli
from stkkr_tasks.cli import notify as notify_cli
from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.deploy import deploy

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    for module in (notify_cli, deploy_cli, spec_cli):
        module.register(app)
    return app


def _automations(stkkr: str) -> list[Any]:
    async def go() -> list[Any]:
        async with get_client() as client:
            return [a for a in await client.read_automations() if f"stkkr:{stkkr}" in a.tags]

    return asyncio.run(go())


def test_notify_add_saves_webhook_and_slack_blocks(cli: typer.Typer) -> None:
    hook, slack = f"hook-{uuid.uuid4().hex[:6]}", f"slack-{uuid.uuid4().hex[:6]}"
    url = "http://127.0.0.1:9/hook"
    assert CliRunner().invoke(cli, ["notify", "add", hook, "--webhook", url]).exit_code == 0
    slack_url = "https://hooks.slack.com/services/T0/B0/secret"
    result = CliRunner().invoke(cli, ["notify", "add", slack, "--slack", slack_url])
    assert result.exit_code == 0 and "secret" not in result.stdout

    saved, saved_slack = CustomWebhookNotificationBlock.load(hook), SlackWebhook.load(slack)
    assert isinstance(saved, CustomWebhookNotificationBlock) and isinstance(saved_slack, SlackWebhook)
    assert (saved.url, saved.json_data) == (url, {"subject": "{{subject}}", "body": "{{body}}"})
    assert saved_slack.url.get_secret_value() == slack_url

    again = CliRunner().invoke(cli, ["notify", "add", hook, "--webhook", url])
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert CliRunner().invoke(cli, ["notify", "add", hook, "--webhook", url, "--overwrite"]).exit_code == 0
    both = CliRunner().invoke(cli, ["notify", "add", "x-y", "--webhook", url, "--slack", url])
    assert both.exit_code == 2 and "exactly one" in both.stderr
    assert CliRunner().invoke(cli, ["notify", "add", "Bad_Name", "--webhook", url]).exit_code == 2


def test_deploy_creates_the_automations_of_alerts_and_refuses_missing_blocks(
    cli: typer.Typer, write_stkkr: Callable[..., Path]
) -> None:
    block = f"ops-{uuid.uuid4().hex[:6]}"
    name = f"dep-alerts-{uuid.uuid4().hex[:6]}"
    alerts = [{"when": "failed", "notify": [block]}, {"when": {"no_success_for": "2h"}, "notify": [block]}]
    path = write_stkkr(name, schedule={"every": "1h"}, tenant="initech", alerts=alerts)

    # deploy checks the file online first (as validate --online, problems on stdout); --offline skips that
    # check and meets the missing block when it syncs the automations (on stderr)
    for extra, stream in (([], "stdout"), (["--offline"], "stderr")):
        refused = CliRunner().invoke(cli, ["deploy", str(path), "--no-retention", *extra])
        assert refused.exit_code == 2
        said = getattr(refused, stream)
        assert f"no notification block called '{block}'" in said and "stkkr notify add" in said, (
            refused.output
        )
    assert _automations(name) == []

    assert (
        CliRunner().invoke(cli, ["notify", "add", block, "--webhook", "http://127.0.0.1:9/hook"]).exit_code
        == 0
    )
    (done,) = deploy([path], retention=False)
    assert done.alerts is not None and len(done.alerts.created) == 2
    by_name = {a.name: a for a in _automations(name)}
    proactive = by_name[f"stkkr {name}: no-success-for-2h"].trigger
    assert (proactive.posture, proactive.within.total_seconds()) == ("Proactive", 7200)
    assert proactive.match.model_dump()["state"] == "Completed"
    (again,) = deploy([path], retention=False)
    assert again.alerts is not None and not again.alerts.changed


def test_validate_online_names_missing_notification_blocks(
    cli: typer.Typer, write_stkkr: Callable[..., Path], simulator: Any
) -> None:
    from blocks import AfasConnection

    AfasConnection(base_url=simulator.base_url, token=simulator.token).save("sim-deploy", overwrite=True)
    path = write_stkkr(
        f"val-{uuid.uuid4().hex[:6]}", alerts=[{"when": "failed", "notify": ["nowhere-block"]}]
    )
    result = CliRunner().invoke(cli, ["validate", "--online", str(path)])
    assert result.exit_code == 2
    assert "alerts[0].notify[0]: no notification block called 'nowhere-block'" in result.stdout
