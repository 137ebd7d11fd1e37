"""The records of an Excel workbook's sheet, streamed (openpyxl's read-only mode: one row at a time)."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from stkkr_tasks.uploads.errors import UploadError

#: What openpyxl raises on a damaged workbook, besides its own `InvalidFileException`: a broken zip member,
#: broken XML, a cell its type cannot hold (their texts may quote a cell, so messages name only the row).
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    ParseError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OverflowError,
    EOFError,
    OSError,
)


def xlsx_records(stream: IO[bytes], *, sheet: str | None, name: str) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number, cells) for every non-empty row of the sheet, the header first.

    Args:
        stream: The workbook as bytes (seekable: an xlsx file is a zip archive).
        sheet: The worksheet's name, or None for the first.
        name: The file's name for messages.

    Raises:
        UploadError: It is not an xlsx workbook, has no such sheet, or a row of the sheet cannot be read.
    """
    # lazy: openpyxl costs every `stkkr run` a tenth of a second of start-up; only an xlsx upload needs it
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException  # lazy: as load_workbook

    damaged = (*_DAMAGED, InvalidFileException)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except damaged:
        raise UploadError(f"{name} is not an xlsx workbook (save it from Excel as .xlsx)") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            names = ", ".join(workbook.sheetnames)
            raise UploadError(f"{name} has no sheet {sheet!r}; its sheets are: {names}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows, None)
            except damaged as exc:
                raise UploadError(
                    f"{name} row {number + 1} of sheet {worksheet.title!r} cannot be read "
                    f"({type(exc).__name__}); open the workbook in Excel and save it again"
                ) from None
            if values is None:
                return
            number += 1
            cells = list(values)
            if any(cell is not None and cell != "" for cell in cells):
                yield number, cells
    finally:
        workbook.close()
