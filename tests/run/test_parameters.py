"""A stkkr's run parameters come from one list: the flow, the failing flow and `trigger` take them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stkkr_tasks.deploy.entry import _failing_flow
from stkkr_tasks.run import compile_stkkr
from stkkr_tasks.run import parameters as run_parameters
from stkkr_tasks.run.parameters import flow_parameters
from stkkr_tasks.spec import load_stkkr_text

STKKR = """
stkkr: params
connection: nowhere
get: {connector: Profit_Projects, order_by: [ProjectId]}
transform:
  keys: {"@PrId": "{{ row.ProjectId }}"}
  fields: {Ds: x}
update: {connector: PtProject, action: update}
"""

#: What Prefect shows as the parameters of a stkkr's flow (names, types, defaults, order).
SHOWN = {
    "stkkr": {"default": "params", "position": 0, "title": "stkkr", "type": "string"},
    "dry_run": {"default": False, "position": 1, "title": "dry_run", "type": "boolean"},
    "limit": {
        "anyOf": [{"type": "integer"}, {"type": "null"}],
        "default": None,
        "position": 2,
        "title": "limit",
    },
    "input": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
        "position": 3,
        "title": "input",
    },
    "retry": {"default": False, "position": 4, "title": "retry", "type": "boolean"},
    "retry_since": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
        "position": 5,
        "title": "retry_since",
    },
}


def _shown(flow: Any) -> dict[str, Any]:
    schema = flow.parameters.model_dump()
    assert schema["required"] == []
    return dict(schema["properties"])


def test_the_flow_and_the_failing_flow_show_the_same_parameters() -> None:
    flow = compile_stkkr(load_stkkr_text(STKKR))
    failing = _failing_flow("params", "The stkkr 'params' cannot run: broken.")

    assert _shown(flow) == SHOWN
    assert _shown(failing) == SHOWN


def test_a_new_parameter_is_one_line_of_run_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    class WithOneMore(run_parameters.RunParameters, total=False):
        batch_limit: int | None

    monkeypatch.setattr(run_parameters, "RunParameters", WithOneMore)

    flow = compile_stkkr(load_stkkr_text(STKKR))
    failing = _failing_flow("params", "broken")

    added = {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "position": 6}
    assert _shown(flow)["batch_limit"] == {**added, "title": "batch_limit"}
    assert _shown(failing) == _shown(flow)
    assert flow_parameters({"batch_limit": 5, "retry": False}) == {"batch_limit": 5}


def test_flow_parameters_leave_out_what_is_off_and_give_a_path_as_its_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert flow_parameters({}) == {}
    assert flow_parameters({"input": None, "retry": False, "retry_since": None}) == {}
    assert flow_parameters({"input": "rows.csv", "retry": True, "retry_since": "7d"}) == {
        "input": str(tmp_path / "rows.csv"),
        "retry": True,
        "retry_since": "7d",
    }
    assert flow_parameters({"input": tmp_path / "a.csv"}) == {"input": str(tmp_path / "a.csv")}
    assert flow_parameters({"input": "memory://uploads/rows.csv"}) == {"input": "memory://uploads/rows.csv"}


def test_a_parameter_without_an_off_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class WithARequiredOne(run_parameters.RunParameters, total=False):
        batch_limit: int

    monkeypatch.setattr(run_parameters, "RunParameters", WithARequiredOne)

    with pytest.raises(TypeError, match="'batch_limit' must be a bool or may be None"):
        run_parameters.flow_signature("params")
