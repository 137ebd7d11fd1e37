"""The error of an uploaded file that cannot be read as the stkkr says (its message holds no cell value)."""

from __future__ import annotations

from stkkr_tasks.errors import StkkrError


class UploadError(StkkrError, ValueError):
    """The uploaded file cannot be read: missing, not csv/xlsx, wrong encoding or header (says where)."""
