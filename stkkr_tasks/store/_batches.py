"""Split long value lists into batches that stay below every backend's limit of bound parameters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

BATCH = 500  # values per IN (...) list or rows per statement


def chunks(values: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """Yield `values` in lists of at most `size`."""
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
