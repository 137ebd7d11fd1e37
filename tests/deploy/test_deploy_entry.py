"""`flows/stkkrs.py`, the deployment entrypoint: nothing read at import, one file loaded per stkkr asked for.

Loaded the way Prefect loads a deployment's entrypoint (from the file path), so each test gets a fresh module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from prefect import Flow
from prefect.utilities.importtools import load_script_as_module

import stkkr_tasks.spec.files as files
from stkkr_tasks.seam import STKKRS_MODULE, project_dir

NAMES_FOUND_IN_MODULES = ["flow", "typing", "annotations", "deployment-flow", "stkkr-flow", "getattr"]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every stkkr file loaded from now on, in order."""
    loaded: list[Path] = []
    real = files.load_stkkr

    def counting(path: Any) -> Any:
        loaded.append(Path(path))
        return real(path)

    monkeypatch.setattr(files, "load_stkkr", counting)
    return loaded


def entrypoint_module() -> ModuleType:
    return load_script_as_module(str(project_dir() / STKKRS_MODULE))


def write_broken_files(deployments: Path) -> None:
    (deployments / "not-yaml.yaml").write_text("stkkr: [unclosed\n  - {", encoding="utf-8")
    (deployments / "deep.yaml").write_text("stkkr: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    (deployments / "invalid.yaml").write_text("stkkr: Not A Name\nconnection: 3\n", encoding="utf-8")


def test_importing_the_module_reads_no_stkkr_file(
    write_stkkr: Callable[..., Path], deployments: Path, loads: list[Path]
) -> None:
    write_stkkr("one")
    write_broken_files(deployments)

    module = entrypoint_module()

    assert loads == []
    assert all(name.startswith("_") for name in vars(module)), "no global a stkkr name could meet"


def test_a_stkkr_is_found_loaded_and_built_once(
    write_stkkr: Callable[..., Path], deployments: Path, loads: list[Path]
) -> None:
    path = write_stkkr("close-things", then=["other"])
    write_stkkr("other")
    write_broken_files(deployments)
    module = entrypoint_module()

    flow = module.close_things

    assert isinstance(flow, Flow) and flow.name == "close-things"
    assert loads == [path], "its own file, once; no other file read"
    assert module.close_things is flow
    assert loads == [path], "built once"
    expected = {"stkkr", "dry_run", "limit", "input", "retry", "retry_since"}
    assert set(flow.parameters.properties) == expected
    assert len(flow.on_completion_hooks) == 1, "the then: hook that starts the next deployments"


def test_broken_files_of_other_stkkrs_are_skipped_and_reported(
    write_stkkr: Callable[..., Path], deployments: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (deployments / "sub").mkdir()
    write_broken_files(deployments / "sub")
    (deployments / "sub" / "kept.yaml").write_text(
        (write_stkkr("kept-elsewhere").read_text(encoding="utf-8")), encoding="utf-8"
    )
    (deployments / "kept-elsewhere.yaml").unlink()  # found only by scanning, past the broken files

    flow = entrypoint_module().kept_elsewhere

    assert flow.name == "kept-elsewhere"
    skipped = {record.getMessage().split(":")[0] for record in caplog.records if "Skipped" in record.message}
    assert {f"Skipped {deployments / 'sub' / name}" for name in ("deep.yaml", "invalid.yaml")} <= skipped


@pytest.mark.parametrize("name", NAMES_FOUND_IN_MODULES)
def test_a_stkkr_name_never_meets_a_module_name(write_stkkr: Callable[..., Path], name: str) -> None:
    write_stkkr(name)

    flow = getattr(entrypoint_module(), name.replace("-", "_"))

    assert isinstance(flow, Flow) and flow.name == name


def test_attributes_that_cannot_name_a_stkkr_do_not_exist(deployments: Path, loads: list[Path]) -> None:
    module = entrypoint_module()

    assert not hasattr(module, "__wrapped__")
    assert not hasattr(module, "CamelCase")
    assert not hasattr(module, "trailing_")
    assert loads == []


@pytest.mark.usefixtures("prefect_server")
def test_a_run_of_a_missing_or_broken_stkkr_ends_failed_saying_why(deployments: Path) -> None:
    (deployments / "broken.yaml").write_text("stkkr: broken\nconnection: [\n", encoding="utf-8")

    state = asyncio.run(entrypoint_module().broken(return_state=True))

    assert state.is_failed()
    assert state.message.startswith("The stkkr 'broken' cannot run: no valid stkkr file named 'broken'")
