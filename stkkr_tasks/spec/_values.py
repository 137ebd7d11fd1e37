"""Validators of the values in a stkkr file: scalars, templates, the `filter` expression, lookup tables.

Each raises a pydantic custom error whose message is plain language and never repeats the input.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationInfo
from pydantic_core import PydanticCustomError

from stkkr_tasks.spec.errors import ExpressionError
from stkkr_tasks.spec.expressions import Expression, compile_expression, compile_value
from stkkr_tasks.spec.helpers import key_text

__all__ = ["LOOKUPS_CONTEXT", "check_expression", "check_lookup_table", "check_value", "problem"]

LOOKUPS_CONTEXT = "lookups"
"""Key of the validation context that holds the names of the lookup tables a file declares."""

SCALARS = (str, int, float, Decimal, bool, date)
_NOT_SCALAR = "must be a single value (text, number, true/false or date), not a list or mapping"


def problem(message: str) -> PydanticCustomError:
    """Return a pydantic error carrying `message` as is (braces in it are not treated as placeholders)."""
    return PydanticCustomError("stkkr", "{message}", {"message": message})


def check_value(*, allow_row: bool) -> Callable[[Any, ValidationInfo], Any]:
    """Return a validator of one scalar value that may be a `{{ }}` template.

    Args:
        allow_row: Whether templates may use `row` (not in `get.where`, which is sent before any row exists).
    """

    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is not None and not isinstance(value, SCALARS):
            raise problem(_NOT_SCALAR)
        try:
            _check_lookups(compile_value(value, "", allow_row=allow_row), info)
        except ExpressionError as exc:
            raise problem(exc.reason) from None
        return value

    return validate


def check_expression(value: Any, info: ValidationInfo) -> Any:
    """Validate a bare expression (the `filter`): it must be text that compiles in the sandbox."""
    if not isinstance(value, str) or not value.strip():
        raise problem("must be an expression such as 'row.Hours > 10'")
    try:
        _check_lookups(compile_expression(value, ""), info)
    except ExpressionError as exc:
        raise problem(exc.reason) from None
    return value


def _check_lookups(expression: Expression | None, info: ValidationInfo) -> None:
    """With the file's declared tables in the validation context (`{"lookups": names}`), refuse a lookup of
    any other table here, so it is reported together with the file's other problems."""
    declared = (info.context or {}).get(LOOKUPS_CONTEXT)
    if expression is None or declared is None:
        return
    missing = sorted(expression.info.lookups - declared)
    if missing:
        raise problem(undeclared_table(missing[0], declared))


def undeclared_table(table: str, declared: Collection[str]) -> str:
    """The message for a lookup of a table that is not declared under `lookups`."""
    close = difflib.get_close_matches(table, sorted(declared), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"lookup table {table!r} is not declared under lookups{hint}"


def check_lookup_table(value: Any) -> Any:
    """Validate a lookup table (key to value); keys become their lookup text (`1`, `true`, `2024-05-01`)."""
    if not isinstance(value, dict):
        raise problem("a lookup table must be a mapping of keys to values")
    if any(item is not None and not isinstance(item, SCALARS) for item in value.values()):
        raise problem(f"every value of a lookup table {_NOT_SCALAR}")
    return {key_text(key): item for key, item in value.items()}
