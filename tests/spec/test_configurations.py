"""Every valid file of the table loads; every invalid one reports each expected problem at its path."""

from __future__ import annotations

from typing import Any

import pytest

from stkkr_tasks.spec import SpecError, StkkrSpec, load_stkkr_text
from tests.spec.configurations import INVALID, VALID, as_yaml


@pytest.mark.parametrize(("config"), [config for _, config in VALID], ids=[name for name, _ in VALID])
def test_valid_files_load(config: dict[str, Any]) -> None:
    spec = load_stkkr_text(as_yaml(config), source="valid.yaml")
    assert isinstance(spec, StkkrSpec)
    assert spec.stkkr == config["stkkr"]
    again = StkkrSpec.model_validate(spec.model_dump(mode="json"))
    assert again.model_dump() == spec.model_dump()


@pytest.mark.parametrize(
    ("config", "expected"),
    [(config, expected) for _, config, expected in INVALID],
    ids=[n for n, *_ in INVALID],
)
def test_invalid_files_report_each_problem(config: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(as_yaml(config), source="bad.yaml")
    problems = caught.value.problems
    for path, message in expected:
        assert any(p.path == path and message in p.message for p in problems), (path, message, problems)
    for problem in problems:
        assert problem.file == "bad.yaml"
        assert problem.line is not None and problem.line >= 1
        assert "Input should" not in problem.message and "Extra inputs" not in problem.message
