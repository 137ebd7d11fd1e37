"""The floors of the code (README, Development): what may import what, and where imports sit.

`lint-imports` (run by `make test`) checks that the library never imports blocks/ or flows/ and that each
floor of the library imports only the floors below it. This test checks the other half of the rule: an
import inside a function is there to keep start-up fast, never to dodge an import cycle, and says why in a
`# lazy: <reason>` comment on its line or the line above. The command modules of stkkr_tasks/cli/ are the
exception as a whole: each command imports what only it needs inside itself, so `stkkr --help` and the other
commands do not load it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("stkkr_tasks", "blocks", "flows")
COMMANDS = ROOT / "stkkr_tasks" / "cli"


def function_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, source line) of every import inside a function of the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append((inner.lineno, lines[inner.lineno - 1]))
    return found


def has_reason(path: Path, line: int) -> bool:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "# lazy: " in lines[line - 1] or lines[line - 2].strip().startswith("# lazy: ")


def test_imports_inside_functions_say_why() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not path.is_relative_to(COMMANDS)
        for line, text in function_level_imports(path)
        if not has_reason(path, line)
    ]

    assert not unexplained, (
        "move these imports to the top of the module, or give a `# lazy: reason`:\n" + "\n".join(unexplained)
    )


def test_the_check_finds_an_unexplained_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "def f():\n    import json\n\n\ndef g():\n    # lazy: a reason\n    import csv\n", encoding="utf-8"
    )

    assert [(line, has_reason(module, line)) for line, _ in function_level_imports(module)] == [
        (2, False),
        (7, True),
    ]
