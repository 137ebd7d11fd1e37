"""The records of a CSV file, streamed: decoded line by line (an encoding error names its line)."""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator
from typing import IO

from stkkr_tasks.uploads.errors import UploadError

#: The delimiters sniffing chooses from.
CANDIDATES = ",;\t|"
#: How much of the file's start sniffing looks at.
SAMPLE_CHARS = 64 * 1024


def csv_records(
    stream: IO[bytes], *, encoding: str, delimiter: str | None, name: str
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) for every record of the file, the header first; blank lines are left out.

    Args:
        stream: The file as bytes.
        encoding: Its text encoding (a UTF-8 BOM is skipped).
        delimiter: The cell delimiter, or None to sniff it from the first 64 KB.
        name: The file's name for messages.

    Raises:
        UploadError: A line is not text in `encoding`, or not CSV (the message names the line).
    """
    lines = _text_lines(stream, encoding, name)
    sample = _sample(lines)
    chosen = delimiter or sniff_delimiter("".join(sample))
    reader = csv.reader(itertools.chain(sample, lines), delimiter=chosen, strict=True)
    while True:
        first = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UploadError(f"{name} line {first} is not valid CSV ({_csv_reason(exc)})") from None
        if cells:
            yield first, cells


def _text_lines(stream: IO[bytes], encoding: str, name: str) -> Iterator[str]:
    utf8 = codecs.lookup(encoding).name == "utf-8"
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if utf8 and number == 1 else encoding)
        except UnicodeDecodeError as exc:
            raise UploadError(
                f"{name} line {number} is not {encoding} text (byte {exc.start + 1} of the line); save the "
                "file in that encoding or set input.encoding (e.g. cp1252)"
            ) from None


def _sample(lines: Iterator[str]) -> list[str]:
    """The first lines of the file, up to about `SAMPLE_CHARS` characters."""
    sample: list[str] = []
    size = 0
    for line in lines:
        sample.append(line)
        size += len(line)
        if size >= SAMPLE_CHARS:
            break
    return sample


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the one candidate in its header line, else the sniffer's, else `,`."""
    header = sample.split("\n", 1)[0]
    present = [candidate for candidate in CANDIDATES if candidate in _unquoted(header)]
    if len(present) == 1:
        return present[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=CANDIDATES).delimiter
    except csv.Error:
        return max(present, key=header.count) if present else ","


def _unquoted(line: str) -> str:
    """The line without its quoted parts (a delimiter inside quotes is a cell's text)."""
    return "".join(part for index, part in enumerate(line.split('"')) if index % 2 == 0)


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's reason, which names no cell value (e.g. `field larger than field limit`)."""
    text = str(exc)
    return text if len(text) < 80 and "'" not in text else "unreadable quoting"
