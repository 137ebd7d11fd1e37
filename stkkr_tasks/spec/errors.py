"""Errors of the stkkr file format: problems found while loading, and failing expressions.

Both are safe to print: they name a location in the stkkr file and what is wrong, never a value of a row.

```
SpecError (ValueError)        a stkkr file does not validate; .problems lists every Problem at once
ExpressionError (ValueError)  an expression failed to compile or to evaluate; .where, .kind
```
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stkkr_tasks.errors import StkkrError

__all__ = ["ExpressionError", "Problem", "SpecError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stkkr file.

    Attributes:
        file: The file name (or the `source` given to `load_stkkr_text`).
        line: The 1-based line the problem is on, or None when it has no place in the file.
        path: The field path, e.g. `get.where[1].op` or `transform.fields.DaEn`; empty for the whole file.
        message: What is wrong, in plain language.
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        place = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{place}: {self.path}: {self.message}" if self.path else f"{place}: {self.message}"


class SpecError(StkkrError, ValueError):
    """A stkkr file does not validate; `problems` holds every problem found, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class ExpressionError(StkkrError, ValueError):
    """An expression of a stkkr file failed to compile or to evaluate.

    The message names the expression's place and the kind of problem, never a value of a row.

    Attributes:
        where: The field path of the expression, e.g. `filter` or `transform.fields.DaEn`.
        kind: A short category: `syntax`, `unknown-name`, `unknown-field`, `unsafe`, `limit`, `type`,
            `value`, `lookup`, `undefined` or `error`.
        reason: The message without the location.
    """

    def __init__(self, where: str, kind: str, reason: str) -> None:
        self.where = where
        self.kind = kind
        self.reason = reason
        super().__init__(f"{where}: {reason}" if where else reason)

    def at(self, where: str) -> ExpressionError:
        """Return the same error placed at `where`."""
        return ExpressionError(where, self.kind, self.reason)
