"""`prefect.yaml` is generated from deployments/ and the committed file is in sync with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from stkkr_tasks.deploy import render_prefect_yaml
from stkkr_tasks.deploy.deploy import project_dir


def test_committed_prefect_yaml_is_in_sync_with_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project_dir())
    monkeypatch.delenv("STKKR_DEPLOYMENTS_DIR", raising=False)

    committed = (project_dir() / "prefect.yaml").read_text(encoding="utf-8")

    assert committed == render_prefect_yaml(), "run `stkkr deploy --write-prefect-yaml`, commit prefect.yaml"


def test_prefect_yaml_describes_each_stkkr_like_stkkr_deploy(write_stkkr: Callable[..., Path]) -> None:
    write_stkkr("yaml-every", schedule={"every": "90s"}, tenant="acme")
    write_stkkr("yaml-manual")

    document = yaml.safe_load(render_prefect_yaml(work_pool="pool-x"))

    every, manual, retention, deadlines, purge = document["deployments"]
    assert every["name"] == "yaml-every"
    assert every["entrypoint"] == "flows/stkkrs.py:yaml_every"
    assert every["parameters"] == {"stkkr": "yaml-every"}
    assert every["tags"] == ["stkkr:yaml-every", "tenant:acme"]
    anchor = "2024-01-01T00:00:00+00:00"
    assert every["schedules"] == [{"interval": 90, "anchor_date": anchor, "timezone": "UTC"}]
    assert every["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
    assert every["work_pool"] == {"name": "pool-x"}
    assert manual["schedules"] == []
    assert retention["entrypoint"] == "flows/retention.py:prune_error_records"
    assert retention["schedules"] == [{"cron": "0 3 * * *", "timezone": "Europe/Amsterdam"}]
    assert deadlines["entrypoint"] == "flows/dsr_deadlines.py:dsr_deadlines"
    assert deadlines["schedules"] == [{"cron": "0 8 * * *", "timezone": "Europe/Amsterdam"}]
    assert purge["entrypoint"] == "flows/purge.py:purge_inactive_customers"
    assert purge["schedules"] == [{"cron": "0 4 1 * *", "timezone": "Europe/Amsterdam"}]
    assert document["pull"] == [{"stkkr_tasks.deploy.steps.set_project_directory": {}}]
