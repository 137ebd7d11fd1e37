"""The pull step: Prefect's set_working_directory into the project, `$STKKR_PROJECT_DIR` winning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prefect.deployments.steps.core import run_step

from stkkr_tasks.deploy.steps import PROJECT_DIR_ENV, STEP, pull_steps

pytestmark = pytest.mark.usefixtures("prefect_server")  # run_step resolves Prefect variables


def _project(root: Path) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "stkkrs.py").write_text("")
    return root


@pytest.fixture(autouse=True)
def _keep_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(os.getcwd())
    monkeypatch.delenv(PROJECT_DIR_ENV, raising=False)


@pytest.mark.anyio
async def test_prefect_runs_the_step_into_the_recorded_directory(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    (step,) = pull_steps(str(project))

    result = await run_step(step)

    assert result == {"directory": str(project)}
    assert Path.cwd() == project


@pytest.mark.anyio
async def test_the_workers_checkout_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = _project(tmp_path / "recorded")
    checkout = _project(tmp_path / "checkout")
    monkeypatch.setenv(PROJECT_DIR_ENV, str(checkout))

    await run_step({STEP: {"directory": str(recorded)}})

    assert Path.cwd() == checkout


@pytest.mark.anyio
async def test_a_directory_without_the_project_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a stkkr project on this machine"):
        await run_step({STEP: {"directory": str(tmp_path)}})
    with pytest.raises(FileNotFoundError, match=PROJECT_DIR_ENV):
        await run_step({STEP: {}})
