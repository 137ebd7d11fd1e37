"""Turn pydantic's validation errors into plain-language problems with a place in the file.

Pydantic's own wording ("Extra inputs are not permitted", "String should match pattern ...") is replaced by
messages a consultant understands; the input is never repeated, except a mistyped key (shortened).
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any

from pydantic_core import ErrorDetails

from stkkr_tasks.names import NAME_PATTERN, NAME_RULE
from stkkr_tasks.spec import model
from stkkr_tasks.spec._walk import Loc

__all__ = ["describe"]

_PATTERNS = {
    NAME_PATTERN: f"must be {NAME_RULE}",
    model.FIELD_PATTERN: "must be an AFAS id of letters, digits and underscores, like 'ProjectId'",
    model.KEY_PATTERN: "must be a field id, optionally starting with @, like '@PrId'",
    model.LOOKUP_PATTERN: "must start with a letter and hold only letters, digits and underscores",
    model.EVERY_PATTERN: "must be a whole number and a unit s, m, h or d, like 15m",
}
_TYPES = {
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
}


def describe(error: ErrorDetails) -> tuple[Loc, Loc, str]:
    """Describe one pydantic error.

    Returns:
        The place to report (field path), the place whose line to use, and the message.
    """
    raw = error["loc"]
    is_key = "[key]" in raw
    loc: Loc = tuple(
        part for part in raw if part != "[key]" and not (isinstance(part, str) and part[:1] == "~")
    )
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return loc[:-1], loc[:-1], f"required key {loc[-1]!r} is missing"
    if kind == "extra_forbidden":
        return loc[:-1], loc, _unknown_key(loc)
    message = _message(kind, ctx, error["msg"])
    return loc, loc, f"this key {message}" if is_key else message


def _message(kind: str, ctx: dict[str, Any], fallback: str) -> str:
    if kind == "stkkr":
        return str(ctx.get("message", fallback))
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(ctx.get("pattern")), "has the wrong form")
    if kind in _TYPES:
        return _TYPES[kind]
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "too_short":
        return (
            "must not be empty"
            if ctx.get("min_length") == 1
            else f"needs at least {ctx.get('min_length')} items"
        )
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    return fallback.replace("Input should be", "must be")


def _unknown_key(loc: Loc) -> str:
    key = str(loc[-1])
    shown = key if len(key) <= 40 else key[:37] + "..."
    close = difflib.get_close_matches(key, sorted(_allowed_keys(loc[:-1]) - {key}), n=1)
    return f"unknown key {shown!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


@cache
def _schema() -> dict[str, Any]:
    return model.StkkrSpec.model_json_schema()


def _branches(node: dict[str, Any]) -> list[dict[str, Any]]:
    defs = _schema().get("$defs", {})
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    options = node.get("anyOf") or node.get("oneOf")
    return [branch for option in options for branch in _branches(option)] if options else [node]


def _allowed_keys(loc: Loc) -> set[str]:
    """Return the keys the format allows at `loc`, found in the JSON Schema."""
    nodes = [_schema()]
    for part in loc:
        found = []
        for branch in (branch for node in nodes for branch in _branches(node)):
            if isinstance(part, int) and isinstance(branch.get("items"), dict):
                found.append(branch["items"])
            elif part in branch.get("properties", {}):
                found.append(branch["properties"][part])
            elif isinstance(branch.get("additionalProperties"), dict):
                found.append(branch["additionalProperties"])
        nodes = found
    return {key for node in nodes for branch in _branches(node) for key in branch.get("properties", {})}
