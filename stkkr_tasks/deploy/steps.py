"""The pull step of stkkr deployments: run the flow inside the stkkr project directory.

A worker starts each flow run in a fresh temporary directory. The step moves it into the project
(``flows/stkkrs.py`` and ``deployments/``) with Prefect's own ``set_working_directory`` step, adding one
override: ``$STKKR_PROJECT_DIR`` on the worker wins, so workers on other machines may keep their checkout
anywhere; otherwise the directory recorded by ``stkkr deploy`` is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect.deployments.steps import set_working_directory

PROJECT_DIR_ENV = "STKKR_PROJECT_DIR"
"""Environment variable of a worker naming its checkout of the stkkr project."""

STEP = "stkkr_tasks.deploy.steps.set_project_directory"
"""The step's import path, as written in pull steps."""


def set_project_directory(directory: str | None = None) -> dict[str, str]:
    """Enter the stkkr project directory (a Prefect pull step).

    Args:
        directory: The project directory recorded at deploy time; ``$STKKR_PROJECT_DIR`` overrides it.

    Returns:
        ``{"directory": path}``; Prefect changes into that directory before loading the flow.

    Raises:
        FileNotFoundError: Neither is set, or the directory does not exist on this machine.
    """
    chosen = os.environ.get(PROJECT_DIR_ENV) or directory
    if not chosen:
        raise FileNotFoundError(f"set {PROJECT_DIR_ENV} on this worker to its checkout of the stkkr project")
    path = Path(chosen).expanduser()
    if not (path / "flows" / "stkkrs.py").is_file():
        raise FileNotFoundError(
            f"{path} is not a stkkr project on this machine (no flows/stkkrs.py); set {PROJECT_DIR_ENV}"
        )
    return set_working_directory(str(path))


def pull_steps(directory: str | None) -> list[dict[str, dict[str, str]]]:
    """The pull steps of a stkkr deployment.

    Args:
        directory: The project directory to record, or None to rely on ``$STKKR_PROJECT_DIR`` alone.

    Returns:
        A one-step list in Prefect's pull-step format.
    """
    return [{STEP: {"directory": directory} if directory else {}}]
