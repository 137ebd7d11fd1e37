"""The Jinja2 sandbox that evaluates stkkr expressions: a YAML file is configuration, never code.

On top of Jinja's `ImmutableSandboxedEnvironment` (no private attributes, no mutation) it allows attribute
access only on rows and on a short list of harmless text and date attributes, offers only the stkkr helpers
and a few harmless built-in filters, and limits `**`, `*` and `%` so that an expression cannot blow up time
or memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import FunctionType
from typing import Any

from jinja2 import StrictUndefined
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from stkkr_tasks.spec.helpers import HELPERS, MAX_TEXT, Lookup

__all__ = ["ENVIRONMENT", "LimitError", "Row", "StkkrSandbox", "UnknownFieldError"]

MAX_EXPONENT = 1_000
MAX_POWER_BITS = 4_096

_SAFE_BUILTIN_FILTERS = (
    "abs", "capitalize", "count", "first", "last", "length", "max", "min", "reverse", "sort", "title",
    "sum", "truncate", "unique", "wordcount",
)  # fmt: skip
_TEXT_ATTRIBUTES = frozenset(
    {
        "capitalize", "endswith", "isalnum", "isalpha", "isdigit", "islower", "isspace", "isupper",
        "lower", "lstrip", "rstrip", "startswith", "strip", "title", "upper",
    }
)  # fmt: skip
_HELPER_FUNCTIONS = frozenset(HELPERS.values())
_DATE_ATTRIBUTES = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat"})
_DATETIME_ATTRIBUTES = _DATE_ATTRIBUTES | {"hour", "minute", "second", "date"}


class LimitError(ArithmeticError):
    """An operation would take too much time or memory; the message names the limit, never a value."""


class UnknownFieldError(Exception):
    """An expression asked a row for a field it does not have.

    Not a `LookupError`: Jinja would turn that into an empty (undefined) value.
    """

    def __init__(self, field: str, owner: str = "row") -> None:
        self.field = field
        self.owner = owner
        super().__init__(f"the {owner} has no such field")


class Row:
    """A read-only view of one row for expressions: `row.Field` and `row["Field"]`.

    An unknown field raises `UnknownFieldError` instead of giving an empty value, so a typo in a field
    name is an error and not silently empty data.
    """

    __slots__ = ("_data", "_owner")

    def __init__(self, data: Mapping[str, Any], owner: str = "row") -> None:
        self._data = data
        self._owner = owner

    def __getitem__(self, field: str) -> Any:
        try:
            return self._data[field]
        except (KeyError, TypeError):
            raise UnknownFieldError(field, self._owner) from None

    def __repr__(self) -> str:
        return f"<row with {len(self._data)} fields>"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _check_power(base: Any, exponent: Any) -> None:
    if not (_is_number(base) and _is_number(exponent)):
        return
    if abs(exponent) > MAX_EXPONENT:
        raise LimitError(f"'**' is limited to exponents up to {MAX_EXPONENT}")
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and abs(base).bit_length() * exponent > MAX_POWER_BITS
    ):
        raise LimitError(f"'**' is limited to results of {MAX_POWER_BITS} bits")


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        if not isinstance(times, int):
            continue
        if isinstance(sequence, list | tuple):
            raise LimitError("repeating a list with '*' is not allowed")
        if isinstance(sequence, str) and len(sequence) * times > MAX_TEXT:
            raise LimitError(f"repeating text with '*' is limited to {MAX_TEXT} characters")


class StkkrSandbox(ImmutableSandboxedEnvironment):
    """The sandbox for stkkr expressions (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Run `*`, `**` and `%` within the limits; `%` on text (old-style formatting) is refused."""
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_repeat(left, right)
        elif operator == "%" and isinstance(left, str):
            raise LimitError("'%' formatting of text is not available; use concat or format_date")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Allow only harmless text and date attributes (rows are read by field, not by attribute)."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in _TEXT_ATTRIBUTES
        if isinstance(obj, datetime):
            return attr in _DATETIME_ATTRIBUTES
        if isinstance(obj, date):
            return attr in _DATE_ATTRIBUTES
        return False

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Read `row.Field` straight from the row (fast: it runs for every row); else as the sandbox does."""
        if type(obj) is Row:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Read `row["Field"]` straight from the row; else as the sandbox does."""
        if type(obj) is Row:
            return obj[argument]
        return super().getitem(obj, argument)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call the stkkr helpers directly (they run for every row); anything else as the sandbox does."""
        if isinstance(obj, Lookup) or (type(obj) is FunctionType and obj in _HELPER_FUNCTIONS):
            return obj(*args, **kwargs)
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> None:
        """Never hand out `str.format`: field widths would allow memory blow-ups."""
        return None

    def unsafe_undefined(self, obj: Any, attribute: Any) -> Any:
        """Refuse unsafe attributes at once, instead of returning an undefined value."""
        raise SecurityError("access to this attribute is not allowed")


def _build() -> StkkrSandbox:
    env = StkkrSandbox(undefined=StrictUndefined, autoescape=False, cache_size=0)
    env.filters = {name: DEFAULT_FILTERS[name] for name in _SAFE_BUILTIN_FILTERS}
    env.filters.update(HELPERS)
    env.globals = {}
    return env


ENVIRONMENT = _build()
"""The one sandboxed environment all stkkr expressions are compiled in."""
