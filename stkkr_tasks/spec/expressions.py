"""Compile and evaluate the expressions of a stkkr file in the sandbox.

`filter` is a bare expression (`row.Hours > 10`); elsewhere a text may hold `{{ }}` templates. A value that is
exactly one `{{ expr }}` keeps the expression's native type (a date stays a date); any other template
renders to text. Template statements (`{% %}`) are not available; use the inline `a if cond else b`.

Expressions see `row`, `today`, `now`, `lookup(table, key, default)` and the helpers of
`stkkr_tasks.spec.helpers`. Compiling checks names, filters, private attributes and the syntax, so a
broken expression is a problem of the file at load time; evaluating turns every failure into an
`ExpressionError` that names the expression's place and never a value of the row.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.runtime import Context
from jinja2.sandbox import SecurityError

from stkkr_tasks.afas.values import NumberTooLargeError, check_number
from stkkr_tasks.spec._parsing import parse_bare, parse_template
from stkkr_tasks.spec.errors import ExpressionError
from stkkr_tasks.spec.helpers import HELPERS, HelperError
from stkkr_tasks.spec.sandbox import ENVIRONMENT, LimitError, UnknownFieldError

__all__ = [
    "CONTEXT_NAMES",
    "Expression",
    "ExpressionInfo",
    "compile_expression",
    "compile_value",
    "is_template",
    "new_scope",
]

CONTEXT_NAMES: frozenset[str] = frozenset(
    {"row", "line", "rows", "response", "today", "now", "lookup", *HELPERS}
)
"""Every name an expression may use (`line` and `rows` only where a group gives them, `response` only in
`respond`, see `_rules`)."""
_ROW_NAMES = frozenset({"row", "line"})

MAX_SOURCE = 4_000
_MARKERS = ("{{", "{%", "{#")


@dataclass(frozen=True)
class ExpressionInfo:
    """What an expression refers to, found by walking its syntax tree.

    Attributes:
        row_fields: Fields read as `row.X` or `row["X"]` (or `line.X`, a row of a group).
        lookups: Lookup tables named as `lookup("table", ...)`.
        uses_row: Whether the expression uses `row` (or `line` or `rows`) at all.
        group_names: Which of the names only a group gives (`line`, `rows`) it uses.
        response_fields: Fields read as `response.X` or `response["X"]` (AFAS's answer, in `respond`).
        uses_response: Whether the expression uses `response` at all.
    """

    row_fields: frozenset[str]
    lookups: frozenset[str]
    uses_row: bool
    group_names: frozenset[str] = frozenset()
    response_fields: frozenset[str] = frozenset()
    uses_response: bool = False


class _Invalid(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class _Code:
    template: Template
    native: bool
    info: ExpressionInfo


class Expression:
    """A compiled expression or template, bound to its place in the stkkr file.

    Attributes:
        where: The field path, e.g. `transform.fields.DaEn`.
        source: The text as written in the file.
        native: True when the result keeps its type (bare expressions, a lone `{{ expr }}`).
        info: The fields and lookup tables it refers to.
    """

    __slots__ = ("_template", "info", "native", "source", "where")

    def __init__(self, where: str, source: str, code: _Code) -> None:
        self.where = where
        self.source = source
        self.native = code.native
        self.info = code.info
        self._template = code.template

    def __repr__(self) -> str:
        return f"Expression({self.where!r}, {self.source!r})"

    def evaluate(self, scope: Context) -> Any:
        """Evaluate in a scope made by `new_scope` (one scope serves every expression of a row).

        Raises:
            ExpressionError: On any failure, including a number too long to write out (`check_number`: a
                row's `1E+999999999` passed on as is); the message names `where` and the kind, never a value.
        """
        try:
            if not self.native:
                return "".join(self._template.root_render_func(scope))
            for _ in self._template.root_render_func(scope):
                pass
            value = scope.vars.pop("result")
        except Exception as exc:
            raise _runtime_error(exc, self.where, self.info) from None
        if isinstance(value, Undefined):
            raise ExpressionError(
                self.where, "undefined", "the expression has no value (an unknown attribute)"
            )
        if type(value) is Decimal or type(value) is int:
            try:
                check_number(value)
            except NumberTooLargeError as exc:
                raise ExpressionError(self.where, "limit", str(exc)) from None
        return value


def new_scope(variables: dict[str, Any]) -> Context:
    """Return the scope expressions are evaluated in.

    Args:
        variables: Every name the expressions may use: `row` (a `sandbox.Row`), `today`, `now`, `lookup`
            and the helpers; the dict is used as is, not copied.
    """
    return Context(ENVIRONMENT, variables, None, {})


def is_template(text: str) -> bool:
    """Return whether a text holds `{{ }}`, `{% %}` or `{# #}` markup."""
    return any(marker in text for marker in _MARKERS)


def compile_expression(source: str, where: str, *, allow_row: bool = True) -> Expression:
    """Compile a bare expression such as the `filter` of a stkkr file.

    Args:
        source: The expression, e.g. `row.HoursBooked >= row.HoursBudget`.
        where: Its field path, used in error messages.
        allow_row: False where no row exists yet (e.g. `get.where` values).

    Raises:
        ExpressionError: When it does not compile or refers to something unknown or unsafe.
    """
    return _bind(source, where, bare=True, allow_row=allow_row)


def compile_value(value: Any, where: str, *, allow_row: bool = True) -> Expression | None:
    """Compile a value that may be a `{{ }}` template; return None for a literal (no markup).

    Raises:
        ExpressionError: When the template does not compile or refers to something unknown or unsafe.
    """
    if not isinstance(value, str) or not is_template(value):
        return None
    return _bind(value, where, bare=False, allow_row=allow_row)


def _bind(source: str, where: str, *, bare: bool, allow_row: bool) -> Expression:
    try:
        code = _compile(source, bare)
    except _Invalid as exc:
        raise ExpressionError(where, exc.kind, exc.reason) from None
    if code.info.uses_row and not allow_row:
        raise ExpressionError(where, "unknown-name", "'row' is not available here: no row has been read yet")
    return Expression(where, source, code)


@lru_cache(maxsize=4096)
def _compile(source: str, bare: bool) -> _Code:
    if len(source) > MAX_SOURCE:
        raise _Invalid("limit", f"the expression is longer than {MAX_SOURCE} characters")
    try:
        expr = parse_bare(source) if bare else _lone_expression(parse_template(source.strip()))
        tree = (
            parse_template(source)
            if expr is None
            else nodes.Template([nodes.Output([expr], lineno=1)], lineno=1)
        )
    except TemplateSyntaxError as exc:
        raise _Invalid("syntax", f"invalid expression: {exc.message}") from None
    tree.set_environment(ENVIRONMENT)
    info = _analyse(tree)
    if expr is not None:
        tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
        tree.set_environment(ENVIRONMENT)
    try:
        template = ENVIRONMENT.from_string(tree)
    except TemplateSyntaxError as exc:
        raise _Invalid("syntax", f"invalid expression: {exc.message}") from None
    return _Code(template, expr is not None, info)


def _lone_expression(tree: nodes.Template) -> nodes.Expr | None:
    """Return the expression of a lone `{{ expr }}`, or None for a text template."""
    output = tree.body[0] if len(tree.body) == 1 else None
    if isinstance(output, nodes.Output) and len(output.nodes) == 1:
        node = output.nodes[0]
        return None if isinstance(node, nodes.TemplateData) else node
    return None


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _analyse(tree: nodes.Template) -> ExpressionInfo:
    fields: set[str] = set()
    answered: set[str] = set()
    tables: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test, nodes.Call)):
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            attr = node.attr if isinstance(node, nodes.Getattr) else _const_text(node.arg)
            if attr is not None and attr.startswith("_"):
                raise _Invalid("unsafe", f"access to {attr!r} is not allowed")
            if attr is not None and isinstance(node.node, nodes.Name) and node.node.name in _ROW_NAMES:
                fields.add(attr)
            elif attr is not None and isinstance(node.node, nodes.Name) and node.node.name == "response":
                answered.add(attr)
        elif isinstance(node, nodes.Filter) and node.name not in ENVIRONMENT.filters:
            hint = _suggest(node.name, ENVIRONMENT.filters)
            raise _Invalid("unknown-name", f"unknown filter {node.name!r}{hint}")
        elif isinstance(node, nodes.Test) and node.name not in ENVIRONMENT.tests:
            raise _Invalid(
                "unknown-name", f"unknown test {node.name!r}{_suggest(node.name, ENVIRONMENT.tests)}"
            )
        elif (
            isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "lookup"
        ):
            table = _const_text(node.args[0]) if node.args else None
            if table is not None:
                tables.add(table)
    names = meta.find_undeclared_variables(tree)
    for name in sorted(names - CONTEXT_NAMES):
        raise _Invalid("unknown-name", f"unknown name {name!r}{_suggest(name, CONTEXT_NAMES)}")
    group_names = frozenset(names & {"line", "rows"})
    uses_row = "row" in names or bool(group_names)
    return ExpressionInfo(
        frozenset(fields),
        frozenset(tables),
        uses_row,
        group_names,
        frozenset(answered),
        "response" in names,
    )


def _const_text(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def _runtime_error(exc: Exception, where: str, info: ExpressionInfo) -> ExpressionError:
    """Translate an exception of an evaluation into a safe `ExpressionError` (no values pass through)."""
    if isinstance(exc, ExpressionError):
        return exc.at(where)
    if isinstance(exc, UnknownFieldError):
        known = info.response_fields if exc.owner == "response" else info.row_fields
        named = f" {exc.field!r}" if exc.field in known else " asked for"
        owner = "AFAS's response" if exc.owner == "response" else "the row"
        return ExpressionError(where, "unknown-field", f"{owner} has no field{named}")
    if isinstance(exc, HelperError | LimitError):
        return ExpressionError(where, "limit" if isinstance(exc, LimitError) else "value", str(exc))
    if isinstance(exc, SecurityError):
        return ExpressionError(where, "unsafe", "access to a private or unsafe attribute is not allowed")
    if isinstance(exc, UndefinedError):
        return ExpressionError(where, "undefined", "uses an attribute or element that does not exist")
    if isinstance(exc, ZeroDivisionError):
        return ExpressionError(where, "value", "division by zero")
    if isinstance(exc, OverflowError | MemoryError | RecursionError):
        return ExpressionError(where, "limit", "a number or a result is too large")
    if isinstance(exc, TypeError):
        return ExpressionError(
            where, "type", "a value has the wrong type for this operation (e.g. text + number)"
        )
    if isinstance(exc, ValueError | ArithmeticError):
        return ExpressionError(where, "value", "a value could not be converted or computed")
    return ExpressionError(where, "error", f"the expression failed ({type(exc).__name__})")
