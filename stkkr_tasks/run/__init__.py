"""Run stkkrs: compile one into its flow, run it in this process (`run_stkkr` / `arun_stkkr`), its summary.

Layout: ``pipeline`` (the body of every stkkr flow), ``flow`` (`compile_stkkr`: the flow around it),
``session`` (what a run opens), ``summary`` (`RunSummary`), ``progress`` (terminal hooks), ``then``
(``then:`` in this process), ``retry`` (retry runs: `--since`, their message), ``runner`` (`run_stkkr`).
"""

from __future__ import annotations

from stkkr_tasks.run.flow import compile_stkkr
from stkkr_tasks.run.progress import RunHooks
from stkkr_tasks.run.retry import RetrySinceError
from stkkr_tasks.run.runner import arun_stkkr, run_stkkr
from stkkr_tasks.run.summary import JSON_KEYS, RunSummary
from stkkr_tasks.run.then import ThenError

__all__ = [
    "JSON_KEYS",
    "RetrySinceError",
    "RunHooks",
    "RunSummary",
    "ThenError",
    "arun_stkkr",
    "compile_stkkr",
    "run_stkkr",
]
