"""A deployed stkkr with `input:`: the file is the flow parameter `input` (a path), read by `stkkr serve`.

`stkkr serve` runs in a subprocess on the Prefect test server; the simulator runs in the test process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import typer
from prefect import get_client
from typer.testing import CliRunner

from stkkr_tasks.cli import trigger as trigger_cli
from stkkr_tasks.deploy import trigger
from tests.deploy.deploy_helpers import serving_one, stkkr_document

ROWS = 6
NAME = "uploaded"


@pytest.fixture(scope="module")
def served(prefect_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Serve one stkkr that reads an uploaded CSV file (and deletes it after a completed run)."""
    document = stkkr_document(
        NAME,
        get=None,
        input={"key": ["ProjectId"], "columns": {"Hours": "decimal"}},
        input_delete=True,
        transform={
            "keys": {"@PrId": "{{ row.ProjectId }}"},
            "fields": {"Ds": "{{ row.Note }} {{ row.Hours }}"},
        },
    )
    with serving_one(document, ROWS, tmp_path_factory) as simulator:
        yield simulator


def _upload(folder: Path, simulator: Any) -> Path:
    path = folder / "rows.csv"
    lines = ["ProjectId;Note;Hours"]
    lines += [
        f"{row['ProjectId']};Uit bestand;{n},5" for n, row in enumerate(simulator.rows("Profit_Projects"))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_trigger_passes_the_files_path_as_the_input_parameter(served: Any, tmp_path: Path) -> None:
    upload = _upload(tmp_path, served)

    summary = trigger(NAME, timeout=180, input=upload)

    assert (summary.state, summary.read, summary.written, summary.failed) == ("Completed", ROWS, ROWS, 0)
    assert not upload.exists()  # input_delete: true, after the completed run
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(summary.flow_run_id))
    assert flow_run.deployment_id is not None
    assert flow_run.parameters == {"stkkr": NAME, "input": str(upload)}  # the path, never a row
    bodies = [write.sent["PtProject"]["Element"]["Fields"]["Ds"] for write in served.writes]
    assert bodies[-ROWS:] == [f"Uit bestand {n}.5" for n in range(ROWS)]


def test_a_deployed_run_of_a_file_with_a_broken_line_fails_before_it_writes(
    served: Any, tmp_path: Path
) -> None:
    upload = _upload(tmp_path, served)
    with upload.open("ab") as out:
        out.write(b"100001;Caf\xe9;1,5\n")  # cp1252, not utf-8: the last line
    before = len(served.writes)

    summary = trigger(NAME, timeout=180, input=upload)

    assert (summary.state, summary.read, summary.written) == ("Failed", 0, 0)
    assert f"nothing was sent: {upload} line {ROWS + 2} is not utf-8 text" in summary.message
    assert len(served.writes) == before and upload.exists()  # not deleted: the run failed


def test_stkkr_trigger_input_and_a_run_without_its_file(
    served: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    app = typer.Typer()
    trigger_cli.register(app)
    monkeypatch.chdir(tmp_path)
    _upload(tmp_path, served)

    given = CliRunner().invoke(app, ["trigger", NAME, "--input", "rows.csv", "--json", "--timeout", "180"])
    missing = CliRunner().invoke(app, ["trigger", NAME, "--timeout", "180"], env={"COLUMNS": "300"})

    assert given.exit_code == 0, given.output
    assert (json.loads(given.stdout)["written"], (tmp_path / "rows.csv").exists()) == (ROWS, False)
    assert missing.exit_code == 3, missing.output
    assert "reads an uploaded csv file, and none was given" in missing.output
