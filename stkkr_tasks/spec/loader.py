"""Load a stkkr file: YAML with line numbers, then the model; every problem is reported at once."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from stkkr_tasks.spec._messages import describe
from stkkr_tasks.spec._values import LOOKUPS_CONTEXT
from stkkr_tasks.spec._yaml import parse_yaml
from stkkr_tasks.spec.errors import Problem, SpecError
from stkkr_tasks.spec.model import StkkrSpec

__all__ = ["MAX_FILE_BYTES", "load_stkkr", "load_stkkr_text"]

MAX_FILE_BYTES = 1_000_000
"""Stkkr files larger than this are refused."""


def load_stkkr(path: str | Path) -> StkkrSpec:
    """Load and validate a stkkr file.

    Args:
        path: The YAML file.

    Returns:
        The validated spec.

    Raises:
        SpecError: Listing every problem of the file (including a file that cannot be read), each with
            file, line, field path and a plain-language message.
    """
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(
            [Problem(name, None, "", f"cannot read the file ({exc.strerror or type(exc).__name__})")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError([Problem(name, None, "", f"the file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError([Problem(name, line, "", "the file is not UTF-8 text")]) from None
    return load_stkkr_text(text, source=name)


def load_stkkr_text(text: str, source: str = "<string>") -> StkkrSpec:
    """Load and validate the YAML text of a stkkr file.

    Args:
        text: The YAML.
        source: The name used in problems (a file name).

    Returns:
        The validated spec; it remembers `source` and its lines for later problems (`validate_online`).

    Raises:
        SpecError: Listing every problem at once.
    """
    data, origin = parse_yaml(text, source)
    problems = list(origin.problems)
    spec = None
    if data is not None:
        try:
            spec = StkkrSpec.model_validate(data, context={LOOKUPS_CONTEXT: _declared_tables(data)})
        except ValidationError as exc:
            for error in exc.errors():
                path, line_loc, message = describe(error)
                problems.append(origin.problem(path, message, line_loc=line_loc))
    if problems or spec is None:
        raise SpecError(sorted(problems, key=lambda problem: problem.line or 0))
    spec._origin = origin
    return spec


def _declared_tables(data: object) -> frozenset[str]:
    """The names under `lookups` of the raw file, so a lookup of another table is found in the same pass."""
    lookups = data.get("lookups") if isinstance(data, dict) else None
    return frozenset(str(name) for name in lookups) if isinstance(lookups, dict) else frozenset()
