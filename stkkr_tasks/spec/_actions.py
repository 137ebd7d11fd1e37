"""`update.action`: a fixed action, or a `{{ }}` expression that chooses one per row (or group).

For checks before a run, `possible_actions` reads which actions an expression can give from its syntax tree:
`{{ 'insert' if row.AfasId is none else 'update' }}` can give insert and update. When some branch is not a
literal text, it cannot tell, and every action is possible.
"""

from __future__ import annotations

from typing import Literal

from jinja2 import nodes

from stkkr_tasks.spec.expressions import is_template
from stkkr_tasks.spec.sandbox import ENVIRONMENT

__all__ = ["ACTIONS", "Action", "possible_actions"]

Action = Literal["insert", "update", "delete"]
ACTIONS: tuple[Action, ...] = ("insert", "update", "delete")


def possible_actions(action: str) -> frozenset[str]:
    """The actions `update.action` can give: itself when fixed, else what its expression's branches give."""
    if not is_template(action):
        return frozenset({action})
    body = ENVIRONMENT.parse(action.strip()).body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return frozenset(ACTIONS)
    found = _constants(body[0].nodes[0])
    if found is None or not found <= set(ACTIONS):
        return frozenset(ACTIONS)
    return frozenset(found)


def _constants(node: nodes.Node) -> set[str] | None:
    """The literal texts an expression can give, or None when a branch is not a literal text."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
        first, second = _constants(node.expr1), _constants(node.expr2)
        return None if first is None or second is None else first | second
    return None
