"""Expressions in the sandbox: native types, templates, escape attempts, limits and safe error messages."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.spec.expressions import compile_expression, compile_value, new_scope
from stkkr_tasks.spec.helpers import AMSTERDAM, HELPERS, Lookup
from stkkr_tasks.spec.sandbox import Row

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=AMSTERDAM)
MARKER = "Privé-Jansen-7781"
ROW: dict[str, Any] = {
    "Name": MARKER,
    "Amount": Decimal("12.50"),
    "Count": 3,
    "EndDate": datetime(2024, 4, 30, tzinfo=AMSTERDAM),
    "Empty": None,
    "Zero": 0,
    "Flag": True,
}


def run(source: str, row: dict[str, Any] | None = None, where: str = "transform.fields.X") -> Any:
    """Compile (a bare expression, or a value with {{ }}) and evaluate against a row."""
    expression = compile_value(source, where) or compile_expression(source, where)
    variables = {**HELPERS, "lookup": Lookup({"status": {"open": "O"}}), "today": NOW.date(), "now": NOW}
    variables["row"] = Row(ROW if row is None else row)
    return expression.evaluate(new_scope(variables))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ row.EndDate | date }}", date(2024, 4, 30)),
        ("{{ row.Amount }}", Decimal("12.50")),
        ("{{ row.Count * 2 }}", 6),
        ("{{ row.Empty }}", None),
        ("{{ row.Flag }}", True),
        ("  {{ row.Count }}  ", 3),
        ("{{ add_days(today, 30) }}", date(2024, 5, 31)),
        ("{{ add_months(today, 1) | format_date('%d-%m-%Y') }}", "01-06-2024"),
        ("{{ now }}", NOW),
        ("{{ row['Count'] }}", 3),
        ("{{ 'closed' if row.Count > 2 else 'open' }}", "closed"),
        ("{{ row.Empty | default('none') }}", "none"),
        ("{{ coalesce(row.Empty, row.Count) }}", 3),
        ("{{ lookup('status', 'open') }}", "O"),
        ("{{ lookup('status', 'gone', 'X') }}", "X"),
        ("{{ row.Amount | round(0) }}", Decimal("13")),
        ("{{ concat('P', row.Count, sep='-') }}", "P-3"),
        ("{{ upper(substring('amsterdam', 0, 3)) }}", "AMS"),
        ("{{ row.Count ~ '' }}", "3"),
        ("Project {{ row.Count }} ends {{ row.EndDate | date }}", "Project 3 ends 2024-04-30"),
        ("{{ row.Count }}{{ row.Count }}", "33"),
        ("plain text", None),
    ],
)
def test_values(source: str, expected: Any) -> None:
    if expected is None and "{{" not in source:
        assert compile_value(source, "x") is None  # a literal: nothing to compile
        return
    result = run(source)
    assert result == expected and type(result) is type(expected)


def test_filter_expressions() -> None:
    assert run("row.Count >= 3 and row.Name", where="filter") == MARKER
    assert run("row.Empty is none", where="filter") is True
    assert run("days_between(row.EndDate, today) == 1", where="filter") is True
    assert run("row.Name.startswith('Privé')", where="filter") is True


ESCAPES = [
    "row.__class__",
    "row.__class__.__mro__",
    "''.__class__.__mro__",
    "''.__class__.__mro__[1].__subclasses__()",
    "cycler.__init__.__globals__",
    "joiner.__init__.__globals__",
    "lipsum.__globals__",
    "range(10**9)",
    "self.__init__",
    "row._data",
    "row['_data']",
    "today.__class__",
    "now.tzinfo",
    "row|attr('_data')",
    "'{0.__class__}'.format(row)",
    "row.Name.format(1)",
    "'x'.ljust(10**9)",
    "'x'.center(10**9)",
    "'x'|center(10**9)",
    "10**(10**10)",
    "2**100000",
    "'a'*10**9",
    "'ab' * 99999",
    "[1]*10",
    "(row.Name ~ 'x') * 10**6",
    "'%0999999999d' % 1",
    "'%s' % row.Name",
    "format_date(today, '%0999999999Y')",
    "replace('a' * 100000, 'a', 'a' * 100000)",
    "add_days(today, 10**9)",
    "{% for x in range(10) %}{% endfor %}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_attempts_fail_clearly_and_harmlessly(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        run(source, where="filter")
    assert time.perf_counter() - started < 1.0
    error = caught.value
    assert error.where == "filter" and str(error).startswith("filter: ")
    assert error.kind in {"unsafe", "unknown-name", "limit", "syntax", "value"}
    assert MARKER not in str(error) and error.__cause__ is None


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("int(row.Name)", "value"),
        ("decimal(row.Name)", "value"),
        ("date(row.Name)", "value"),
        ("row.Name + 1", "type"),
        ("row.Name > 1", "type"),
        ("row.Name / 2", "type"),
        ("1 / row.Zero", "value"),
        ("lookup('status', row.Name)", "value"),
        ("row[row.Name]", "unknown-field"),
        ("add_days(row.Name, 1)", "value"),
        ("row.Name | round", "value"),
        ("row.Name.nope", "undefined"),
        ("{{ row.Name.nope }}", "undefined"),
    ],
)
def test_errors_never_contain_row_values(source: str, kind: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        run(source, where="transform.fields.DaEn")
    assert caught.value.kind == kind
    assert str(caught.value).startswith("transform.fields.DaEn: ")
    assert MARKER not in str(caught.value) and MARKER not in repr(caught.value.args)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_an_unknown_field_is_named() -> None:
    with pytest.raises(ExpressionError) as caught:
        run("{{ row.EndDat | date }}", where="transform.fields.DtGp")
    assert str(caught.value) == "transform.fields.DtGp: the row has no field 'EndDat'"
    assert caught.value.kind == "unknown-field"


def test_compile_errors_name_the_place() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("row.A >", "filter")
    assert caught.value.kind == "syntax" and str(caught.value).startswith("filter: invalid expression")
    with pytest.raises(ExpressionError, match="unknown name 'todya' \\(did you mean 'today'\\?\\)"):
        compile_value("{{ todya }}", "transform.fields.A")
    with pytest.raises(ExpressionError, match="'row' is not available here"):
        compile_value("{{ row.A }}", "get.where[0].value", allow_row=False)
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression("1 + " * 2000 + "1", "filter")


def test_references_are_found_in_the_syntax_tree() -> None:
    expression = compile_value("{{ lookup('status', row.Status) ~ row['Name'] ~ (row.A | upper) }}", "x")
    assert expression is not None
    assert expression.info.row_fields == {"Status", "Name", "A"}
    assert expression.info.lookups == {"status"}
    assert expression.info.uses_row


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("{{ row.Huge }}", "limit"),  # passed on as is: refused here, per row, not by the encoder
        ("{{ row.Huge | int }}", "value"),
        ("{{ decimal('1e999999999') }}", "value"),
        ("{{ row.Huge | round(2) }}", "value"),
        ("{{ 10 ** 1000 * 10 }}", "limit"),
    ],
)
def test_numbers_too_long_to_write_out_fail_the_row(source: str, kind: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        run(source, {**ROW, "Huge": Decimal("1E+999999999")})
    assert caught.value.kind == kind and "more than 60 digits" in caught.value.reason
    assert str(caught.value).startswith("transform.fields.X: ")
