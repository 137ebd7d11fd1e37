"""Stkkrs as Prefect deployments: deploy, serve, trigger, history, ``then:`` chains, ``stkkr up``.

Layout: ``schedules`` (spec schedule -> Prefect schedules, replacing a deployment's schedules), ``deploy``
(one deployment per stkkr, work pool, retention), ``entry`` (the flow a deployment runs, found by name),
``serve`` (all in one process), ``prefect_yaml`` (the generated ``prefect.yaml``), ``chain`` (``then:``),
``trigger`` and ``history`` (runs from Prefect), ``steps`` (the pull step), ``up`` (the local stack). Stkkr
files are found by name in `stkkr_tasks.spec.files`.
"""

from __future__ import annotations

from stkkr_tasks.deploy.chain import then_hook, then_problems
from stkkr_tasks.deploy.deploy import (
    CONCURRENCY,
    DEFAULT_WORK_POOL,
    Deployed,
    DeployError,
    StkkrDeployment,
    adeploy,
    deploy,
    deployment_name,
)
from stkkr_tasks.deploy.history import RunRecord, ahistory, history
from stkkr_tasks.deploy.prefect_yaml import render_prefect_yaml, write_prefect_yaml
from stkkr_tasks.deploy.serve import aserve, serve
from stkkr_tasks.deploy.trigger import TriggerError, astart_run, atrigger, start_run, trigger
from stkkr_tasks.spec.files import StkkrFile, StkkrFileError, deployments_dir, find_stkkr_file

__all__ = [
    "CONCURRENCY",
    "DEFAULT_WORK_POOL",
    "DeployError",
    "Deployed",
    "RunRecord",
    "StkkrDeployment",
    "StkkrFile",
    "StkkrFileError",
    "TriggerError",
    "adeploy",
    "ahistory",
    "aserve",
    "astart_run",
    "atrigger",
    "deploy",
    "deployment_name",
    "deployments_dir",
    "find_stkkr_file",
    "history",
    "render_prefect_yaml",
    "serve",
    "start_run",
    "then_hook",
    "then_problems",
    "trigger",
    "write_prefect_yaml",
]
