"""Start-up costs kept out on purpose: each heavy library is imported only where it is needed.

Checked in a fresh interpreter, so that no other test has imported them already.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(imports: str, modules: tuple[str, ...]) -> list[str]:
    """The `modules` a fresh interpreter holds after running `imports`."""
    code = f"import sys\n{imports}\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    ("imports", "kept_out"),
    [
        # stkkr_tasks/home.py: the local server and `stkkr connection set` only need $STKKR_HOME
        ("import stkkr_tasks.localserver, stkkr_tasks.cli.connection", ("sqlalchemy",)),
        # stkkr_tasks/uploads/_xlsx.py: only an xlsx upload needs openpyxl
        ("import stkkr_tasks.run", ("openpyxl",)),
    ],
)
def test_a_heavy_library_is_not_imported_where_it_is_not_needed(
    imports: str, kept_out: tuple[str, ...]
) -> None:
    assert _loaded_after(imports, kept_out) == []
