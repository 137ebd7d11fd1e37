"""Rows into groups: consecutive kept rows with the same `group_by` values form one element.

The run reads the GetConnector ordered on the group key first, so a group's rows arrive one after the other,
possibly across pages. The open group is held until a row with another key arrives (or the last page was
read), within a bound of rows (`max_group_rows`).
"""

from __future__ import annotations

from typing import Any


class GroupTooLarge(Exception):
    """A group has more rows than `max_group_rows`; the message is safe to show (no values)."""


class Grouper:
    """Holds the open group of one run while its rows arrive.

    Args:
        max_rows: The most rows one group may have.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.held: list[dict[str, Any]] = []
        self._key: tuple[Any, ...] | None = None

    def add(self, key: tuple[Any, ...], row: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Add a kept row; returns the group it closed (the rows of the previous key), if any.

        Raises:
            GroupTooLarge: The open group would get more than `max_rows` rows.
        """
        if self.held and key == self._key:
            if len(self.held) >= self.max_rows:
                raise GroupTooLarge(
                    f"A group has more than {self.max_rows} rows (max_group_rows): check that group_by "
                    "names the fields of one element, or raise max_group_rows."
                )
            self.held.append(row)
            return None
        closed = self.close()
        self.held, self._key = [row], key
        return closed

    def close(self) -> list[dict[str, Any]] | None:
        """Return the open group (at the end of the rows) and hold nothing; None when nothing was held."""
        closed, self.held, self._key = self.held, [], None
        return closed or None
