"""Parse stkkr expressions with Jinja's parser, with their nesting bounded.

Jinja parses brackets, calls, `not`, a unary `-`/`+` and `a if b else c` chains recursively, and compiles
every syntax tree recursively, so a short expression like 400 nested parentheses or `1+1+…+1` would end in
Python's `RecursionError`. `_BoundedParser` counts those nestings while it parses and `_check_depth` measures
the finished tree without recursion; both refuse more than `MAX_NESTING` levels with a `TemplateSyntaxError`,
which the caller reports like any other syntax problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser

from stkkr_tasks.spec.sandbox import ENVIRONMENT

__all__ = ["MAX_NESTING", "parse_bare", "parse_template"]

MAX_NESTING = 20
"""The deepest an expression may nest brackets, calls, `not`, signs and `if … else` inside each other."""

_MAX_TREE_DEPTH = 2 * MAX_NESTING  # one level of nesting can add two tree nodes, e.g. a call and its filter
_TOO_DEEP = (
    f"the expression is nested more than {MAX_NESTING} levels deep (brackets, calls, operators or "
    "'if … else' inside each other); split it into simpler parts"
)


class _BoundedParser(Parser):
    """Jinja's parser that counts how deeply its recursive rules are nested and stops past the limit."""

    def __init__(self, source: str, state: str | None = None) -> None:
        super().__init__(ENVIRONMENT, source, state=state)
        self._nesting = 0

    @contextmanager
    def _deeper(self) -> Iterator[None]:
        self._nesting += 1
        try:
            if self._nesting > MAX_NESTING:
                raise TemplateSyntaxError(_TOO_DEEP, self.stream.current.lineno)
            yield
        finally:
            self._nesting -= 1

    def parse_condexpr(self) -> nodes.Expr:
        """Every bracket, argument and `else` branch passes here: one level each."""
        with self._deeper():
            return super().parse_condexpr()

    def parse_not(self) -> nodes.Expr:
        """A `not` recurses into the next `not`: one level each."""
        if not self.stream.current.test("name:not"):
            return super().parse_not()
        with self._deeper():
            return super().parse_not()

    def parse_unary(self, with_filter: bool = True) -> nodes.Expr:
        """A sign (`-x`, `+x`) recurses into the next: one level each."""
        if self.stream.current.type not in ("sub", "add"):
            return super().parse_unary(with_filter)
        with self._deeper():
            return super().parse_unary(with_filter)

    def parse_statement(self) -> nodes.Node | list[nodes.Node]:
        """Refuse statements at once: they are not available, and `{% if %}` would nest without bound."""
        raise TemplateSyntaxError(
            "template statements ({% %}) are not available; use 'a if c else b'", self.stream.current.lineno
        )


def _check_depth(tree: nodes.Node) -> None:
    """Refuse a syntax tree deeper than the limit (`1+1+…+1` parses flat but nests its tree)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_TREE_DEPTH:
            raise TemplateSyntaxError(_TOO_DEEP, getattr(node, "lineno", 1) or 1)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


def parse_bare(source: str) -> nodes.Expr:
    """Parse a bare expression (`row.Hours > 10`).

    Raises:
        TemplateSyntaxError: On a syntax error, text after the expression, or nesting past `MAX_NESTING`.
    """
    parser = _BoundedParser(source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("unexpected text after the expression", parser.stream.current.lineno)
    _check_depth(expr)
    return expr


def parse_template(source: str) -> nodes.Template:
    """Parse a text with `{{ }}` templates; statements (`{% %}`) are refused.

    Raises:
        TemplateSyntaxError: On a syntax error, a statement, or nesting past `MAX_NESTING`.
    """
    tree = _BoundedParser(source).parse()
    _check_depth(tree)
    return tree
