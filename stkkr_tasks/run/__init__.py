"""Run stkkrs in this process: `run_stkkr` / `arun_stkkr`, their `RunSummary`, and live progress hooks."""

from __future__ import annotations

from stkkr_tasks.run.progress import RunHooks
from stkkr_tasks.run.runner import arun_stkkr, run_stkkr
from stkkr_tasks.run.summary import JSON_KEYS, RunSummary

__all__ = ["JSON_KEYS", "RunHooks", "RunSummary", "arun_stkkr", "run_stkkr"]
