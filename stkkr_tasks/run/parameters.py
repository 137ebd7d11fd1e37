"""A stkkr's flow run parameters, listed once: the flow's signature and `trigger`'s keywords come from here.

A new parameter is one line in `TriggerParameters` (a deployed run may be started with it) or in
`RunParameters` (only a run in this process or a custom run sets it); the stkkr's flow, the failing flow of a
broken deployment and `trigger`/`start_run` take it from there. Each parameter is off when left out (False or
None), which is also its default in the flow. Parameters are switches and a file's location, never a row.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, TypedDict, get_args, get_type_hints

from stkkr_tasks.uploads import location


class TriggerParameters(TypedDict, total=False):
    """The flow parameters a triggered run (`trigger`, `start_run`, `stkkr trigger`) may be given.

    Attributes:
        input: For a stkkr with `input:`: the file its run reads, a path or fsspec URL that the worker can
            read (a local path is made absolute). Only the location is a flow parameter, never rows.
        retry: Process only the rows with an open error record (`stkkr retry`).
        retry_since: With `retry`: only records whose last failure is within this duration (``7d``).
    """

    input: str | Path | None
    retry: bool
    retry_since: str | None


class _LocalParameters(TypedDict, total=False):
    """The flow parameters only a run in this process (`run_stkkr`) or a custom run in the UI sets."""

    dry_run: bool
    limit: int | None


class RunParameters(_LocalParameters, TriggerParameters, total=False):
    """Every flow parameter of a stkkr's run besides `stkkr` (its own name), in the order Prefect shows them.

    Attributes:
        dry_run: Read, filter and transform; write nothing.
        limit: Stop after this many kept rows (or groups); overrides the file's `limit:`.
    """


def flow_signature(name: str) -> inspect.Signature:
    """The signature of stkkr ``name``'s flow: `stkkr` (default ``name``), then each of `RunParameters`.

    A path is given to the flow as its location, so a parameter typed ``str | Path | None`` is a
    ``str | None`` there (what Prefect shows and validates).

    Raises:
        TypeError: A parameter is neither a bool nor optional, so it has no "off" to default to.
    """
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter("stkkr", keyword, default=name, annotation=str)]
    for key, kind in get_type_hints(RunParameters).items():
        flow_kind = _without_path(kind)
        if flow_kind is not bool and type(None) not in get_args(flow_kind):
            raise TypeError(f"run parameter {key!r} must be a bool or may be None: it is off when left out")
        off = False if flow_kind is bool else None
        parameters.append(inspect.Parameter(key, keyword, default=off, annotation=flow_kind))
    return inspect.Signature(parameters)


def flow_parameters(chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The flow parameters a caller chose, as Prefect gets them: those left off go, a path is its location.

    Example:
        `flow_parameters({"input": "rows.csv", "retry": False})` gives ``{"input": "/home/me/rows.csv"}``.
    """
    paths = {key for key, kind in get_type_hints(RunParameters).items() if _without_path(kind) != kind}
    given = {key: value for key, value in chosen.items() if value is not None and value is not False}
    return {key: location(value) if key in paths else value for key, value in given.items()}


def _without_path(kind: Any) -> Any:
    """The type without `Path` in it (``str | Path | None`` is ``str | None``)."""
    members = get_args(kind) if isinstance(kind, UnionType) else ()
    if Path not in members:
        return kind
    return functools.reduce(operator.or_, (member for member in members if member is not Path))
