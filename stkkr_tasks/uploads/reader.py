"""`UploadFile`: an uploaded file opened for one run, its header checked, its rows read page by page."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from stkkr_tasks.uploads._cells import CONVERTERS, CellError, Convert
from stkkr_tasks.uploads._csv import csv_records
from stkkr_tasks.uploads._source import display_name, open_stream
from stkkr_tasks.uploads._xlsx import xlsx_records
from stkkr_tasks.uploads.errors import UploadError

if TYPE_CHECKING:
    from stkkr_tasks.spec.model import InputSpec

_SHOWN_COLUMNS = 20


@dataclass(frozen=True)
class BadRow:
    """A row whose cells do not fit the header or their types: it fails, the others go on.

    Attributes:
        row: Its cells by column (typed where they fit, as read where not), for its key's fingerprint.
        line: Its line (csv) or row number (xlsx) in the file.
        message: What is wrong, naming the line and the columns, never a value.
    """

    row: dict[str, Any]
    line: int
    message: str


@dataclass
class UploadPage:
    """One page of the file: the rows read, and those that could not be read."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def size(self) -> int:
        """How many rows of the file the page holds (good and bad)."""
        return len(self.rows) + len(self.bad)


class UploadFile:
    """An uploaded file, opened as a stream: the header is checked on entering, rows come page by page.

    Blocking (it reads a file): a run calls it in a worker thread.

    Args:
        spec: The stkkr's `input:` (format, delimiter, encoding, sheet, column types, page size).
        where: The file: a local path or an fsspec URL (see `location`).
        required: The columns the stkkr reads, each with the place that reads it (`row_fields`).

    Raises:
        UploadError: On entering, when the file cannot be opened, is not csv/xlsx, its header lacks a
            required column, or any line of it is not text in the encoding, not CSV, or not a readable row
            of the sheet (the whole file is read once to find out, keeping nothing, before the first page).
    """

    def __init__(self, spec: InputSpec, where: str, required: Mapping[str, str]) -> None:
        self.spec = spec
        self.name = display_name(where)
        self._where = where
        self._required = dict(required)
        self._stream: IO[bytes] | None = None
        self._records: Iterator[tuple[int, list[Any]]] = iter(())
        self._columns: list[tuple[str, Convert]] = []
        self.header: list[str] = []

    def __enter__(self) -> UploadFile:
        self._stream = open_stream(self._where)
        try:
            self._records = _records(self.spec, self._stream, self.name)
            self.header = self._read_header()
            self._check_whole()
        except BaseException:
            self.close()
            raise
        converters = {name: CONVERTERS[kind] for name, kind in self.spec.columns.items()}
        self._columns = [(name, converters.get(name, CONVERTERS["text"])) for name in self.header]
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (and the records' generator, which closes an xlsx workbook)."""
        closer = getattr(self._records, "close", None)
        if closer is not None:
            closer()
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _check_whole(self) -> None:
        """Read every record of the file once through a stream of its own, keeping none of them.

        A line that cannot be read at all stops the run here, before any row of the file is written: found
        on a later page, the rows before it would be written and those after it neither written nor failed.
        """
        with open_stream(self._where) as stream:
            deque(_records(self.spec, stream, self.name), maxlen=0)  # read to its end (or its first fault)

    def _read_header(self) -> list[str]:
        """The first record's column names, checked: named, each once, every required column there."""
        first = next(self._records, None)
        if first is None:
            raise UploadError(f"{self.name} is empty: it needs a header line with the column names")
        cells = [("" if cell is None else str(cell)).strip() for cell in first[1]]
        while cells and not cells[-1]:
            cells.pop()
        problems = [f"column {index} of the header has no name" for index, c in enumerate(cells, 1) if not c]
        seen: set[str] = set()
        for cell in cells:
            if cell and cell in seen:
                problems.append(f"column {cell!r} is in the header twice")
            seen.add(cell)
        missing = [f"{column!r} ({place})" for column, place in self._required.items() if column not in seen]
        if missing:
            shown = ", ".join(cells[:_SHOWN_COLUMNS]) + (", ..." if len(cells) > _SHOWN_COLUMNS else "")
            problems.append(f"the header lacks the column(s) the stkkr reads: {', '.join(missing)}")
            problems.append(f"the header has: {shown}")
        if problems:
            raise UploadError(f"{self.name} line {first[0]}: {'; '.join(problems)}")
        return cells

    def page(self) -> UploadPage | None:
        """The next page of `input.page_size` rows, or None after the last one.

        Raises:
            UploadError: A line is not text in the encoding or not CSV (the message names it): only when
                the file changed after it was checked on entering.
        """
        page = UploadPage()
        for line, cells in self._records:
            self._add(page, line, cells)
            if page.size >= self.spec.page_size:
                break
        return page if page.size else None

    def _add(self, page: UploadPage, line: int, cells: list[Any]) -> None:
        width = len(self._columns)
        row: dict[str, Any] = {}
        wrong: list[str] = []
        for (column, convert), cell in zip(self._columns, cells, strict=False):
            try:
                row[column] = convert(cell)
            except CellError as exc:
                row[column] = cell
                wrong.append(f"column {column!r} {exc}")
        for column, _ in self._columns[len(cells) :]:
            row[column] = None
        extra = sum(1 for cell in cells[width:] if cell is not None and cell != "")
        if extra:
            wrong.insert(0, f"{len(cells)} cells, more than the header's {width}")
        if wrong:
            message = f"line {line} of the file: {'; '.join(wrong)}"
            page.bad.append(BadRow(row, line, message))
        else:
            page.rows.append(row)


def _records(spec: InputSpec, stream: IO[bytes], name: str) -> Iterator[tuple[int, list[Any]]]:
    """The file's records by its format, the header first."""
    if spec.format == "xlsx":
        return xlsx_records(stream, sheet=spec.sheet, name=name)
    return csv_records(stream, encoding=spec.encoding, delimiter=spec.delimiter, name=name)
