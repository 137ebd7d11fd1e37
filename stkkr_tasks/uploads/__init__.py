"""Uploaded files (CSV or Excel) read instead of a GetConnector: streamed page by page, never copied.

```python
with UploadFile(spec.input, "rows.csv", required=row_fields(spec)) as upload:   # the header is checked
    while (page := upload.page()) is not None:
        page.rows, page.bad                     # rows typed per `input.columns`; rows whose cells do not fit
delete_upload("rows.csv")                       # `input_delete: true`, after a completed run
```
The file is a local path or an fsspec URL that this process can read. It is read as a stream: one page of
rows is in memory at a time, and nothing of it is written anywhere. Entering reads the whole file once first,
keeping nothing, so a line that cannot be read at all stops the run before its first row is written.
Every message (`UploadError`, a bad row's) names the file, the line and the column, never a cell's value.
"""

from __future__ import annotations

from stkkr_tasks.uploads._source import delete_upload, display_name, location
from stkkr_tasks.uploads.errors import UploadError
from stkkr_tasks.uploads.reader import BadRow, UploadFile, UploadPage

__all__ = [
    "BadRow",
    "UploadError",
    "UploadFile",
    "UploadPage",
    "delete_upload",
    "display_name",
    "location",
]
