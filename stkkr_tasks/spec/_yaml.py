"""Read the YAML of a stkkr file into plain data, remembering the line of every key and list item.

YAML problems (syntax errors, duplicate keys, unsupported tags, anchors that expand into huge documents,
nesting deeper than `MAX_DEPTH`) are reported like any other problem of the file. `Origin` places later
problems on their lines. PyYAML composes nested lists and mappings recursively, so the depth is bounded
while composing, before Python's own recursion limit could be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from stkkr_tasks.spec._walk import Loc, format_path
from stkkr_tasks.spec.errors import Problem

__all__ = ["MAX_DEPTH", "MAX_NODES", "Origin", "parse_yaml"]

MAX_NODES = 20_000
"""The most values a stkkr file may hold once its anchors (`*alias`) are expanded."""
MAX_DEPTH = 50
"""The deepest nesting of lists and mappings a stkkr file may have."""


@dataclass
class Origin:
    """Where a spec came from: its file name and the line of every key and list item."""

    file: str
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, loc: Loc) -> int | None:
        """Return the line of `loc`, or of its nearest enclosing key that has one."""
        for end in range(len(loc), 0, -1):
            found = self.lines.get(tuple(loc[:end]))
            if found is not None:
                return found
        return 1 if self.lines else None

    def problem(self, loc: Loc, message: str, *, line_loc: Loc | None = None) -> Problem:
        """Return a Problem at `loc` (placed on the line of `line_loc` when given)."""
        return Problem(self.file, self.line(loc if line_loc is None else line_loc), format_path(loc), message)

    def add(self, loc: Loc, message: str, *, line: int | None = None) -> None:
        """Record a problem found while reading the YAML."""
        self.problems.append(Problem(self.file, line, format_path(loc), message))


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _TooBig(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing lists and mappings nested deeper than `MAX_DEPTH` while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # The root is level 0, like the empty path of `_Reader`: a value at path (a, b) is level 2.
        if self._depth > MAX_DEPTH:
            raise _TooDeep(self.peek_event().start_mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Reader:
    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.constructor = SafeConstructor()
        self.nodes = 0

    def read(self, node: Node, loc: Loc) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or len(loc) > MAX_DEPTH:
            raise _TooBig
        if isinstance(node, MappingNode | SequenceNode) and node.tag not in _PLAIN_TAGS:
            self.origin.add(loc, "unsupported YAML tag", line=node.start_mark.line + 1)
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.origin.lines[(*loc, index)] = item.start_mark.line + 1
                items.append(self.read(item, (*loc, index)))
            return items
        return self._scalar(node, loc)

    def _scalar(self, node: Node, loc: Loc) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            self.origin.add(
                loc, "not a valid YAML value (unsupported tag or bad date)", line=node.start_mark.line + 1
            )
            return None

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[Any, Any]:
        try:
            self.constructor.flatten_mapping(node)
        except yaml.YAMLError:
            self.origin.add(
                loc, "a YAML merge key (<<) must refer to a mapping", line=node.start_mark.line + 1
            )
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.origin.add(loc, "a key must be plain text, not a list or mapping", line=line)
                continue
            key = self._scalar(key_node, loc)
            if key in result:
                self.origin.add((*loc, key), "this key appears more than once", line=line)
            self.origin.lines[(*loc, key)] = line
            result[key] = self.read(value_node, (*loc, key))
        return result


def parse_yaml(text: str, file: str) -> tuple[Any, Origin]:
    """Parse one YAML document.

    Args:
        text: The YAML text.
        file: The file name, for problems.

    Returns:
        The data (None when the YAML could not be read) and its `Origin`; `origin.problems` lists what was
        wrong with the YAML itself.
    """
    origin = Origin(file)
    try:
        root = yaml.compose(text, Loader=_DepthLimitedLoader)
    except _TooDeep as exc:
        origin.add(
            (),
            f"the file is nested too deeply (over {MAX_DEPTH} levels of lists and mappings)",
            line=exc.line,
        )
        return None, origin
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "invalid YAML"
        origin.add((), f"YAML syntax error: {reason}", line=mark.line + 1 if mark else None)
        return None, origin
    except yaml.YAMLError:
        origin.add((), "YAML syntax error")
        return None, origin
    if root is None:
        origin.add(
            (), "the file is empty; a stkkr file is a mapping with stkkr, connection, get, ...", line=1
        )
        return None, origin
    try:
        data = _Reader(origin).read(root, ())
    except _TooBig:
        origin.add(
            (),
            f"the file is too large or too deep (over {MAX_NODES} values or {MAX_DEPTH} levels)",
            line=1,
        )
        return None, origin
    if not isinstance(data, dict):
        origin.add((), "a stkkr file must be a mapping of keys (stkkr, connection, get, ...)", line=1)
        return None, origin
    return data, origin
