"""Prefect block types of stkkr, registered through the `prefect.collections` entry point."""

from __future__ import annotations

from blocks.afas_connection import AfasConnection

__all__ = ["AfasConnection"]
