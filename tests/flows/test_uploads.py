"""End to end: stkkrs that read an uploaded CSV or xlsx file (`input:`) and write to the simulator."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import fsspec
import pytest
import typer
from openpyxl import Workbook
from typer.testing import CliRunner

from stkkr_tasks.cli import run as run_cli
from stkkr_tasks.cli import spec as spec_cli
from stkkr_tasks.run import run_stkkr
from stkkr_tasks.simulator import Simulator
from tests.fixture_types import Connect, ErrorRecords, MakeSpec

pytestmark = pytest.mark.usefixtures("prefect_server")

UPLOAD = """
stkkr: {name}
connection: {connection}
input: {input}
unique: [ProjectId]
filter: "row.EndDate is not none"
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields:
    DtGp: "{{{{ row.EndDate }}}}"
    Ds: "{{{{ row.Description }}}} {{{{ row.Budget }}}}"
update: {{connector: PtProject, action: update}}
"""
CSV_INPUT = "{key: [ProjectId], columns: {EndDate: date, Budget: decimal}, page_size: 3}"


def _csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _run_and_validate() -> typer.Typer:
    """The CLI with `stkkr run` and `stkkr validate`."""
    app = typer.Typer()
    run_cli.register(app)
    spec_cli.register(app)
    return app


def _projects(simulator: Simulator, count: int) -> list[str]:
    return [row["ProjectId"] for row in simulator.rows("Profit_Projects")[:count]]


def _written(simulator: Simulator) -> dict[str, dict[str, Any]]:
    return {
        write.sent["PtProject"]["Element"]["@PrId"]: write.sent["PtProject"]["Element"]["Fields"]
        for write in simulator.writes
    }


@pytest.mark.parametrize("delimiter", [None, ";"], ids=["sniffed", "given"])
def test_a_csv_upload_is_typed_filtered_and_written_page_by_page(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path, delimiter: str
) -> None:
    ids = _projects(simulator, 7)
    lines = ["ProjectId;Description;EndDate;Budget", '"' + ids[0] + '";"Audit; fase 1";31-12-2027;"1.250,50"']
    lines += [f"{ids[1]};Tweede;2027-06-30;800", "", f"{ids[2]};Zonder datum;;95,25"]
    lines += [f"{project};Project {n};1-{n}-2028;{n}.5" for n, project in enumerate(ids[3:], start=1)]
    upload = _csv(tmp_path / "rows.csv", lines)
    given = CSV_INPUT if delimiter is None else CSV_INPUT.replace("page_size", "delimiter: ';', page_size")
    spec = make_spec(UPLOAD, connect(simulator), input=given)

    summary = run_stkkr(spec, input=upload)

    assert (summary.state, summary.read, summary.filtered_out, summary.written, summary.failed) == (
        "Completed",
        7,
        1,
        6,
        0,
    )
    assert summary.pages == 3  # 7 rows, 3 per page
    written = _written(simulator)
    assert written[ids[0]] == {"DtGp": "2027-12-31", "Ds": "Audit; fase 1 1250.50"}
    assert written[ids[1]]["DtGp"] == "2027-06-30" and written[ids[1]]["Ds"] == "Tweede 800"
    assert written[ids[4]]["DtGp"] == "2028-02-01"
    assert upload.exists()  # no input_delete

    again = run_stkkr(spec, input=upload)
    assert (again.read, again.skipped, again.written) == (7, 6, 0)  # unique on input.key


def test_an_xlsx_upload_reads_typed_excel_cells(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path
) -> None:
    ids = _projects(simulator, 3)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Projecten")
    sheet.append(["ProjectId", "Description", "EndDate", "Budget"])
    sheet.append([int(ids[0]), "Excel", date(2027, 5, 1), 12.5])
    sheet.append([ids[1], "Tekst", "01-06-2027", "7,25"])
    sheet.append([ids[2], "Fout", "geen datum", 3])
    book.save(tmp_path / "rows.xlsx")
    given = "{format: xlsx, sheet: Projecten, key: [ProjectId], columns: {EndDate: date, Budget: decimal}}"
    spec = make_spec(UPLOAD, connect(simulator), input=given)

    summary = run_stkkr(spec, input=tmp_path / "rows.xlsx")

    assert (summary.state, summary.read, summary.written, summary.failed) == ("Completed", 3, 2, 1)
    written = _written(simulator)
    assert written[ids[0]] == {"DtGp": "2027-05-01", "Ds": "Excel 12.5"}  # 100001.0 read as text "100001"
    assert written[ids[1]] == {"DtGp": "2027-06-01", "Ds": "Tekst 7.25"}


def test_cells_that_do_not_fit_their_type_become_failed_rows_with_the_line(
    simulator: Simulator,
    connect: Connect,
    make_spec: MakeSpec,
    tmp_path: Path,
    error_records: ErrorRecords,
) -> None:
    ids = _projects(simulator, 4)
    lines = ["ProjectId,Description,EndDate,Budget", f"{ids[0]},Goed,2027-01-01,1"]
    lines += [f"{ids[1]},Datum fout,31-02-2027,1", f"{ids[2]},Bedrag fout,2027-01-01,veel"]
    lines += [f"{ids[3]},Te veel,2027-01-01,1,extra"]
    spec = make_spec(UPLOAD, connect(simulator), input=CSV_INPUT)

    summary = run_stkkr(spec, input=_csv(tmp_path / "rows.csv", lines))

    assert (summary.state, summary.read, summary.written, summary.failed) == ("Completed", 4, 1, 3)
    records = sorted(error_records(spec.stkkr), key=lambda record: record.message)
    assert [record.stage for record in records] == ["get"] * 3
    messages = [record.message for record in records]
    assert messages == [
        "line 3 of the file: column 'EndDate' must be a date like 2024-05-01 or 01-05-2024",
        "line 4 of the file: column 'Budget' must be a number like 12.50 or 12,50",
        "line 5 of the file: 5 cells, more than the header's 4",
    ]
    assert all(record.row_key for record in records)  # keyed by input.key


def test_a_header_without_a_column_the_stkkr_reads_stops_before_anything_is_sent(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path
) -> None:
    upload = _csv(tmp_path / "rows.csv", ["ProjectId;Omschrijving;EndDate", "100001;x;2027-01-01"])
    spec = make_spec(UPLOAD, connect(simulator), input=CSV_INPUT)

    summary = run_stkkr(spec, input=upload)

    assert (summary.state, summary.read, summary.written) == ("Failed", 0, 0)
    assert "nothing was sent" in summary.message
    assert "'Budget' (input.columns), 'Description' (transform.fields.Ds)" in summary.message
    assert "the header has: ProjectId, Omschrijving, EndDate" in summary.message
    assert simulator.writes == []


def test_an_encoding_error_names_its_line(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path
) -> None:
    ids = _projects(simulator, 3)
    lines = ["ProjectId;Description;EndDate;Budget", f"{ids[0]};Goed;2027-01-01;1"]
    lines += [f"{ids[1]};Caf\u00e9;2027-01-01;1", f"{ids[2]};Goed;2027-01-01;1"]
    upload = _csv(tmp_path / "rows.csv", lines, encoding="cp1252")
    spec = make_spec(UPLOAD, connect(simulator), input=CSV_INPUT)

    summary = run_stkkr(spec, input=upload)

    assert summary.state == "Failed"
    assert "line 3 is not utf-8 text (byte 11 of the line)" in summary.message
    assert "Caf" not in summary.message
    fixed = make_spec(UPLOAD, connect(simulator), input=CSV_INPUT.replace("{key", "{encoding: cp1252, key"))
    assert run_stkkr(fixed, input=upload).written == 3


#: A line of the large files that cannot be read, at line 192: past the first 64 KB and the first pages.
BROKEN = {
    "encoding": (b"{id};Caf\xe9 geheim;2027-01-01;1", "line 192 is not utf-8 text (byte 11 of the line)"),
    "quoting": (b'{id};"Geheim" fase;2027-01-01;1', "line 192 is not valid CSV (unreadable quoting)"),
}


def _large_csv(path: Path, simulator: Simulator, broken: bytes) -> Path:
    """Every project of the simulator on a line of about 400 bytes (80 KB), line 192 broken."""
    ids = _projects(simulator, 200)
    padding = "x" * 360
    lines = [b"ProjectId;Description;EndDate;Budget"]
    lines += [f"{project};{padding};2027-01-01;1".encode() for project in ids]
    lines[191] = broken.replace(b"{id}", ids[190].encode())
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert sum(len(line) + 1 for line in lines[:191]) > 64 * 1024  # beyond the delimiter's sample
    return path


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_a_broken_line_late_in_the_file_stops_the_run_before_anything_is_written(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path, fault: str
) -> None:
    broken, expected = BROKEN[fault]
    upload = _large_csv(tmp_path / "rows.csv", simulator, broken)
    spec = make_spec(UPLOAD, connect(simulator), input=CSV_INPUT.replace("page_size: 3", "page_size: 50"))

    summary = run_stkkr(spec, input=upload)

    assert (summary.state, summary.read, summary.written, summary.failed) == ("Failed", 0, 0, 0)
    assert simulator.writes == []  # the 190 good rows before it included
    assert f"nothing was sent: {upload} {expected}" in summary.message
    assert "Geheim" not in summary.message and "Caf" not in summary.message


def test_stkkr_run_and_validate_name_a_broken_line_without_a_traceback(
    simulator: Simulator, connect: Connect, tmp_path: Path
) -> None:
    app = _run_and_validate()
    upload = _large_csv(tmp_path / "rows.csv", simulator, BROKEN["quoting"][0])
    stkkr = tmp_path / "upload.yaml"
    stkkr.write_text(
        UPLOAD.format(name="cli-broken", connection=connect(simulator), input=CSV_INPUT), "utf-8"
    )
    wide = {"COLUMNS": "300"}

    ran = CliRunner().invoke(app, ["run", str(stkkr), "--input", str(upload)], env=wide)
    valid = CliRunner().invoke(app, ["validate", str(stkkr), "--input", str(upload)], env=wide)

    assert ran.exit_code == 3, ran.output  # the run failed
    assert f"{upload} line 192 is not valid CSV (unreadable quoting)" in ran.output
    assert valid.exit_code == 2, valid.output
    assert f"{stkkr}:4: input: {upload} line 192 is not valid CSV (unreadable quoting)" in valid.output
    assert "Traceback" not in ran.output + valid.output and "Geheim" not in ran.output + valid.output
    assert simulator.writes == []


def _damaged_xlsx(path: Path, ids: list[str], row: int) -> Path:
    """A workbook whose sheet holds a number cell openpyxl cannot read at `row` (as a damaged file does)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ProjectId", "Description", "EndDate", "Budget"])
    for project in ids:
        sheet.append([project, "Excel", date(2027, 5, 1), 12.5])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = f'<c r="D{row}" t="n"><v>12.5</v>'.encode()
                assert cell in data
                data = data.replace(cell, f'<c r="D{row}" t="n"><v>geheim</v>'.encode())
            target.writestr(item, data)
    return path


def test_an_unreadable_row_of_a_sheet_stops_the_run_before_anything_is_written(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path
) -> None:
    upload = _damaged_xlsx(tmp_path / "rows.xlsx", _projects(simulator, 200), row=190)
    given = "{format: xlsx, key: [ProjectId], columns: {EndDate: date, Budget: decimal}, page_size: 50}"
    spec = make_spec(UPLOAD, connect(simulator), input=given)

    summary = run_stkkr(spec, input=upload)

    assert (summary.state, summary.read, summary.written) == ("Failed", 0, 0)
    assert simulator.writes == []
    assert f"{upload} row 190 of sheet 'Sheet' cannot be read (ValueError)" in summary.message
    assert "geheim" not in summary.message


def test_input_delete_removes_the_file_after_a_completed_run_only(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path
) -> None:
    ids = _projects(simulator, 2)
    lines = ["ProjectId;Description;EndDate;Budget", *(f"{i};x;2027-01-01;1" for i in ids)]
    text = UPLOAD + "input_delete: true\n"
    spec = make_spec(text, connect(simulator), input=CSV_INPUT)
    upload = _csv(tmp_path / "rows.csv", lines)

    dry = run_stkkr(spec, dry_run=True, input=upload)
    assert dry.would_write == 2 and upload.exists()  # a dry run keeps it
    broken = make_spec(text, "no-such-connection", input=CSV_INPUT)
    assert run_stkkr(broken, input=upload).state == "Failed" and upload.exists()

    summary = run_stkkr(spec, input=upload)

    assert (summary.state, summary.written) == ("Completed", 2)
    assert not upload.exists()
    assert summary.message.endswith("The uploaded file was deleted.")


def test_an_fsspec_url_is_read_and_deleted_like_a_path(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec
) -> None:
    ids = _projects(simulator, 2)
    url = "memory://uploads/rows.csv"
    with fsspec.open(url, "wb") as handle:
        handle.write(
            "\n".join(["ProjectId,Description,EndDate,Budget", *(f"{i},x,,1" for i in ids)]).encode()
        )
    spec = make_spec(
        UPLOAD.replace("filter", "# filter") + "input_delete: true\n", connect(simulator), input=CSV_INPUT
    )

    summary = run_stkkr(spec, input=url)

    assert (summary.state, summary.written) == ("Completed", 2)
    assert not fsspec.filesystem("memory").exists("/uploads/rows.csv")


def test_a_stkkr_with_input_needs_its_file_and_one_with_get_takes_none(
    simulator: Simulator, connect: Connect, make_spec: MakeSpec, tmp_path: Path
) -> None:
    spec = make_spec(UPLOAD, connect(simulator), input=CSV_INPUT)
    missing = run_stkkr(spec)
    assert missing.state == "Failed" and "--input PATH" in missing.message
    gone = run_stkkr(spec, input=tmp_path / "nothing.csv")
    assert gone.state == "Failed" and "nothing.csv: no such file" in gone.message
    assert simulator.writes == []


def test_stkkr_run_and_validate_take_the_file_with_input(
    simulator: Simulator, connect: Connect, tmp_path: Path
) -> None:
    app = _run_and_validate()
    ids = _projects(simulator, 2)
    good = _csv(
        tmp_path / "rows.csv", ["ProjectId,Description,EndDate,Budget", *(f"{i},x,2027-01-01,1" for i in ids)]
    )
    bad = _csv(tmp_path / "bad.csv", ["Project;Description"])
    stkkr = tmp_path / "upload.yaml"
    stkkr.write_text(
        UPLOAD.format(name="cli-upload", connection=connect(simulator), input=CSV_INPUT), "utf-8"
    )

    ran = CliRunner().invoke(app, ["run", str(stkkr), "--input", str(good), "--json"])
    valid = CliRunner().invoke(app, ["validate", str(stkkr), "--input", str(good)])
    invalid = CliRunner().invoke(app, ["validate", str(stkkr), "--input", str(bad)], env={"COLUMNS": "300"})

    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["written"] == 2
    assert valid.exit_code == 0 and f"{stkkr}: valid" in valid.output
    assert invalid.exit_code == 2
    assert f"{stkkr}:4: input: {bad} line 1: the header lacks the column(s)" in invalid.output
    assert (
        "'ProjectId' (input.key)" in invalid.output
        and "the header has: Project, Description" in invalid.output
    )
