"""Where an uploaded file is: a local path or an fsspec URL; opening it as a byte stream, deleting it."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import fsspec

from stkkr_tasks.uploads.errors import UploadError


def location(path_or_url: str | Path) -> str:
    """The file as a run gets it: an fsspec URL as given, a local path made absolute (any working directory).

    Example:
        `location("rows.csv")` gives `/home/me/rows.csv`; `location("s3://bucket/rows.csv")` stays as it is.
    """
    text = str(path_or_url)
    if "://" in text or "::" in text:
        return text
    return str(Path(text).expanduser().absolute())


def display_name(where: str) -> str:
    """The file's name in messages: its location without a query string (which may hold a signature)."""
    return where.split("?", 1)[0]


def open_stream(where: str) -> IO[bytes]:
    """Open the file for reading as bytes, as a stream (nothing is copied to disk).

    Raises:
        UploadError: It does not exist, may not be read, or its URL's protocol is unknown.
    """
    name = display_name(where)
    try:
        stream: IO[bytes] = fsspec.open(where, "rb").open()
    except FileNotFoundError:
        raise UploadError(f"{name}: no such file (the run reads it from there)") from None
    except PermissionError:
        raise UploadError(f"{name}: this process may not read it") from None
    except (OSError, ValueError, ImportError) as exc:
        raise UploadError(f"{name}: cannot be opened ({type(exc).__name__})") from None
    return stream


def delete_upload(where: str) -> None:
    """Delete the uploaded file (`input_delete: true`, after a completed run).

    Raises:
        UploadError: It could not be deleted (the message says why, not what it held).
    """
    try:
        filesystem, path = fsspec.core.url_to_fs(where)
        filesystem.rm_file(path)
    except (OSError, ValueError, ImportError) as exc:
        raise UploadError(f"{display_name(where)}: could not be deleted ({type(exc).__name__})") from None
