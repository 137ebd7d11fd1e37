"""A gate for tests: writes of one element wait until the GetConnectors have been read a number of times.

It tells whether a client reads on while a refused batch's elements are being found (the search ends in
writes of one element): with the gate, the search cannot end before the reading got that far, so a client
that waits for the search before reading on meets the gate's timeout instead (`timed_out`).
"""

from __future__ import annotations

import asyncio


class ReadGate:
    """Holds writes of one element until `reads` GetConnector requests have arrived, at most `timeout_s`.

    Args:
        reads: GetConnector requests (pages) to wait for.
        timeout_s: The longest a write waits; past it, it goes on and `timed_out` is set.
    """

    def __init__(self, reads: int, timeout_s: float = 10.0) -> None:
        self.reads = reads
        self.timeout_s = timeout_s
        self.timed_out = False
        self._seen = 0
        self._open: asyncio.Event | None = None  # made in the simulator's event loop, at first use

    def _event(self) -> asyncio.Event:
        if self._open is None:
            self._open = asyncio.Event()
        return self._open

    def read(self) -> None:
        """Count a GetConnector request; the gate opens at the `reads`-th."""
        self._seen += 1
        if self._seen >= self.reads:
            self._event().set()

    async def hold(self) -> None:
        """Wait until the gate is open (or its timeout passed)."""
        try:
            await asyncio.wait_for(self._event().wait(), self.timeout_s)
        except TimeoutError:
            self.timed_out = True
