"""The README's stkkr examples are valid stkkr files."""

from __future__ import annotations

import re
from pathlib import Path

from stkkr_tasks.spec import compile_spec, load_stkkr_text

README = Path(__file__).resolve().parents[2] / "README.md"


def _spec_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("<!-- section: spec -->", 1)[1].split("<!-- /section: spec -->", 1)[0]


def test_the_annotated_example_is_valid() -> None:
    first = re.search(r"```yaml\n(.*?)```", _spec_section(), re.S)
    assert first is not None
    spec = compile_spec(load_stkkr_text(first.group(1), source="README.md")).spec
    assert spec.stkkr == "close-finished-projects"
    group = spec.lookups["group"]
    assert isinstance(group, dict) and group["CON"] == "Consultancy"
