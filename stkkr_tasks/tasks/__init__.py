"""The four task kinds of a stkkr run: get a page, filter it, transform it, write it.

Each task works on one page at a time, so a run's task runs grow with its pages, not its rows. All of them
use `cache_policy=NO_CACHE` and `persist_result=False`: rows live in memory only, while their page is
processed. Retries live in the AFAS client (which knows whether a write may be re-sent), not in Prefect.
"""

from __future__ import annotations

from stkkr_tasks.tasks._context import COUNT_FIELDS, Batch, Counts, KeptRow, RunContext, StopSignal, WriteItem
from stkkr_tasks.tasks._errors import RunAborted, fatal_reason
from stkkr_tasks.tasks._groups import Grouper, GroupTooLarge
from stkkr_tasks.tasks._recorder import ErrorRecorder, Failure, WriteTarget
from stkkr_tasks.tasks._retry import RetryOutcome, RetryScope
from stkkr_tasks.tasks._run_once import RunOnceGuard
from stkkr_tasks.tasks.filter import filter_rows
from stkkr_tasks.tasks.get import get_page
from stkkr_tasks.tasks.transform import transform_rows
from stkkr_tasks.tasks.update import update_records

__all__ = [
    "COUNT_FIELDS",
    "Batch",
    "Counts",
    "ErrorRecorder",
    "Failure",
    "GroupTooLarge",
    "Grouper",
    "KeptRow",
    "RetryOutcome",
    "RetryScope",
    "RunAborted",
    "RunContext",
    "RunOnceGuard",
    "StopSignal",
    "WriteItem",
    "WriteTarget",
    "fatal_reason",
    "filter_rows",
    "get_page",
    "transform_rows",
    "update_records",
]
