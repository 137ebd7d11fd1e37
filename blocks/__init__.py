"""Prefect block types of stkkr, registered through the `prefect.collections` entry point.

Loading a connection by name (telling a missing block from an outdated one) lives in the library,
`stkkr_tasks.connections`, and is exported here too.
"""

from __future__ import annotations

from blocks.afas_connection import AfasConnection
from stkkr_tasks.connections import (
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
