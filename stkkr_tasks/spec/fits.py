"""Whether a value fits a connector field by its metainfo: allowed values, data type, length.

The checks are those AFAS itself applies to a value, so that a value found misfitting here is one AFAS would
refuse: `validate --online` applies them to the literal values of a stkkr file, and a run to every element
before it is sent (`stkkr_tasks.tasks._precheck`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stkkr_tasks.spec.expressions import is_template
from stkkr_tasks.spec.helpers import HelperError, key_text, to_date, to_decimal, to_int

if TYPE_CHECKING:
    from stkkr_tasks.afas.models import AllowedValue

__all__ = ["misfit"]

_BOOLEANS = frozenset({"true", "false", "0", "1"})
_TYPE_RULES = {
    "int": "must be a whole number",
    "decimal": "must be a number",
    "boolean": "must be true or false",
    "date": "must be a date like 2024-05-01",
}


def misfit(value: Any, data_type: str, length: int, allowed: Sequence[AllowedValue] | None) -> str | None:
    """Return why a value does not fit a field, or None when it fits. Never repeats the value.

    Args:
        value: The value (None, empty text and a `{{ template }}` always fit: they are not values yet).
        data_type: The field's metainfo data type (`string`, `int`, `decimal`, `boolean`, `date`, `blob`).
        length: The field's most characters (0: no bound).
        allowed: The field's allowed values, or None when any value of its type is allowed.

    Example:
        >>> misfit("never", "date", 0, None)
        'must be a date like 2024-05-01'
    """
    if value is None or value == "" or (isinstance(value, str) and is_template(value)):
        return None
    if allowed:
        if key_text(value) in {item.id for item in allowed}:
            return None
        shown = ", ".join(
            f"{item.id} ({item.description})" if item.description else item.id for item in allowed[:10]
        )
        return f"not one of the allowed values: {shown}{', ...' if len(allowed) > 10 else ''}"
    kind = data_type.lower()
    if kind in _TYPE_RULES and not _fits_type(value, kind):
        return _TYPE_RULES[kind]
    if kind in ("string", "blob") and length > 0 and len(key_text(value)) > length:
        return f"is longer than {length} characters"
    return None


def _fits_type(value: Any, kind: str) -> bool:
    try:
        if kind == "int":  # a whole number written as 5.0 is one too: AFAS takes it
            if isinstance(value, Decimal):
                return value.is_finite() and value == value.to_integral_value()
            if isinstance(value, float):
                return value.is_integer()
            return not isinstance(value, bool | date) and to_int(value) is not None
        if kind == "decimal":
            return not isinstance(value, bool | date) and to_decimal(value) is not None
        if kind == "boolean":
            return isinstance(value, bool) or key_text(value).lower() in _BOOLEANS
        return isinstance(value, date) or (isinstance(value, str) and to_date(value) is not None)
    except HelperError:
        return False
