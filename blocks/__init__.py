"""Prefect block types of stkkr, registered through the `prefect.collections` entry point."""

from __future__ import annotations

from blocks.afas_connection import AfasConnection
from blocks.loading import (
    ConnectionBlockError,
    ConnectionNotFoundError,
    ConnectionOutdatedError,
    aload_connection,
    load_connection,
)

__all__ = [
    "AfasConnection",
    "ConnectionBlockError",
    "ConnectionNotFoundError",
    "ConnectionOutdatedError",
    "aload_connection",
    "load_connection",
]
