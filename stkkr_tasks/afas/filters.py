"""GetConnector filters and the query string of a page request.

A `where` is a list of AND-groups that are OR-ed together: `[[f1, f2], [f3]]` means (f1 AND f2) OR f3.
AFAS takes filters in two forms. The simple form (`filterfieldids`, `filtervalues`, `operatortypes`) uses
`,` for AND and `;` for OR, so it cannot carry a value containing either character, and how AFAS groups a
mix of both is undocumented. `filterjson` is unambiguous but longer. `build_query` uses the simple form for
a single AND-group of safe values unless `filterjson` comes out shorter, and `filterjson` otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, cast
from urllib.parse import quote

from stkkr_tasks.afas.exceptions import AfasQueryTooLongError
from stkkr_tasks.afas.values import format_value

__all__ = ["MAX_QUERY_LENGTH", "Filter", "Operator", "Where", "and_where", "build_query"]

MAX_QUERY_LENGTH = 2049
"""AFAS answers 404 to a query string (the part after `?`) longer than this."""


class Operator(IntEnum):
    """AFAS filter operators (`operatortypes` / `@OperatorType` codes 1–14)."""

    EQUAL = 1
    GREATER_OR_EQUAL = 2
    LESS_OR_EQUAL = 3
    GREATER = 4
    LESS = 5
    CONTAINS = 6
    NOT_EQUAL = 7
    EMPTY = 8
    NOT_EMPTY = 9
    STARTS_WITH = 10
    NOT_CONTAINS = 11
    NOT_STARTS_WITH = 12
    ENDS_WITH = 13
    NOT_ENDS_WITH = 14

    @classmethod
    def parse(cls, text: Operator | str | int) -> Operator:
        """Return the operator for a stkkr name (`>=`, `contains`, …), an AFAS symbol (`*`, `[]`, …) or code.

        Raises:
            ValueError: For anything else; the message lists the valid names.
        """
        if isinstance(text, cls):
            return text
        if isinstance(text, int) and not isinstance(text, bool) and text in cls._value2member_map_:
            return cls(text)
        if isinstance(text, str):
            key = text.strip()
            found = _BY_NAME.get(key) or _BY_SYMBOL.get(key) or _BY_NAME.get(key.lower())
            if found is None and key.isdigit() and int(key) in cls._value2member_map_:
                found = cls(int(key))
            if found is not None:
                return found
        raise ValueError(f"unknown filter operator {text!r}; valid operators: {' '.join(OPERATOR_NAMES)}")

    @property
    def takes_value(self) -> bool:
        """Whether the operator compares with a value; `empty` and `not_empty` take none."""
        return self not in (Operator.EMPTY, Operator.NOT_EMPTY)

    @property
    def symbol(self) -> str:
        """The stkkr name of the operator, e.g. `>=` or `not_contains`."""
        return OPERATOR_NAMES[self - 1]


OPERATOR_NAMES: tuple[str, ...] = (
    "=", ">=", "<=", ">", "<", "contains", "!=", "empty", "not_empty",
    "starts_with", "not_contains", "not_starts_with", "ends_with", "not_ends_with",
)  # fmt: skip
_AFAS_SYMBOLS = ("=", ">=", "<=", ">", "<", "*", "!=", "[]", "![]", "@", "!*", "!@", "&", "!&")
_BY_NAME = {name: Operator(code) for code, name in enumerate(OPERATOR_NAMES, start=1)}
_BY_NAME.update({op.name.lower(): op for op in Operator})
_BY_SYMBOL = {symbol: Operator(code) for code, symbol in enumerate(_AFAS_SYMBOLS, start=1)}


@dataclass(frozen=True)
class Filter:
    """One condition on a GetConnector field.

    Attributes:
        field: The field's metainfo `id` (e.g. `ProjectId`), not its `fieldId`.
        op: An `Operator`, or its name or symbol; stored as `Operator`.
        value: The value to compare with; dates and datetimes are sent without `Z`. Ignored by AFAS for
            `empty` and `not_empty`, which still need one (an empty one is sent).
    """

    field: str
    op: Operator | str
    value: Any = ""

    def __post_init__(self) -> None:
        if not isinstance(self.field, str) or not self.field.strip():
            raise ValueError("a filter needs a field id")
        object.__setattr__(self, "op", Operator.parse(self.op))

    @property
    def operator(self) -> Operator:
        """The operator as an `Operator` (the same object as `op` after construction)."""
        return cast(Operator, self.op)

    @property
    def text(self) -> str:
        """The value as AFAS expects it in a filter."""
        return format_value(self.value)


Where = Sequence[Sequence[Filter]]


def and_where(where: Where | None, more: Where | None) -> Where | None:
    """Both conditions: every AND-group of `where` joined with every AND-group of `more`.

    `(a OR b) AND (c OR d)` becomes `(a AND c) OR (a AND d) OR (b AND c) OR (b AND d)`, the only shape AFAS
    filters have; either side `None` or empty leaves the other unchanged.
    """
    if not more:
        return where
    if not where:
        return more
    return [[*group, *extra] for group in where for extra in more]


def _encode(params: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in params)


def _simple_params(group: Sequence[Filter]) -> list[tuple[str, str]] | None:
    if any("," in f.text or ";" in f.text or "," in f.field or ";" in f.field for f in group):
        return None
    return [
        ("filterfieldids", ",".join(quote(f.field, safe="") for f in group)),
        ("filtervalues", ",".join(quote(f.text, safe="") for f in group)),
        ("operatortypes", ",".join(str(int(f.operator)) for f in group)),
    ]


def _json_params(where: Where) -> list[tuple[str, str]]:
    document = {
        "Filters": {
            "Filter": [
                {
                    "@FilterId": f"Filter {number}",
                    "Field": [
                        {"@FieldId": f.field, "@OperatorType": str(int(f.operator)), "#text": f.text}
                        for f in group
                    ],
                }
                for number, group in enumerate(where, start=1)
            ]
        }
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return [("filterjson", quote(text, safe=""))]


def build_query(*, skip: int, take: int, order_by: Sequence[str], where: Where | None = None) -> str:
    """Return the query string (without `?`) of a GetConnector page request.

    Args:
        skip: Rows to skip (0 or more).
        take: Rows to return (1 or more).
        order_by: Field ids to order on; a leading `-` orders descending. At least one is required.
        where: AND-groups OR-ed together; `None` or `[]` for no filter.

    Returns:
        The URL-encoded query, e.g. `skip=0&take=500&orderbyfieldids=ProjectId&filterfieldids=...`.

    Raises:
        ValueError: On a negative skip, a take below 1, no order_by field, or an empty AND-group.
        AfasQueryTooLongError: When the query would exceed 2049 characters.
    """
    if skip < 0 or take < 1:
        raise ValueError("skip must be 0 or more and take 1 or more")
    if isinstance(order_by, str) or not order_by or not all(order_by):
        raise ValueError("order_by needs at least one field id, so that paging is stable")
    params = [
        ("skip", str(skip)),
        ("take", str(take)),
        ("orderbyfieldids", ",".join(quote(f, safe="-") for f in order_by)),
    ]
    groups = [list(group) for group in where or ()]
    if any(not group for group in groups):
        raise ValueError("a where group must hold at least one filter")
    if groups:
        candidates = [_encode(params + _json_params(groups))]
        simple = _simple_params(groups[0]) if len(groups) == 1 else None
        if simple is not None:
            candidates.insert(0, _encode(params + simple))
        query = min(candidates, key=len)
    else:
        query = _encode(params)
    if len(query) > MAX_QUERY_LENGTH:
        raise AfasQueryTooLongError(len(query), MAX_QUERY_LENGTH)
    return query
