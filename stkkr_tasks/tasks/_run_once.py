"""The run-once guard of a run: reserve each `unique` key right before its write, settle it right after.

Writers ask for keys in row order, a few rows ahead (`PageReservations`); the guard gathers what arrives
while the database is busy into one transaction (group commit), together with the settlements of finished
writes. So a write's key is reserved before the request leaves, and settled in the next transaction after
its answer. A stop or cancel releases the keys reserved for rows that were not sent; a hard crash leaves
the keys of the writes in flight and of the few rows reserved ahead, which later runs skip as "outcome
unknown" until an operator resolves them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from stkkr_tasks.store import KeyState, RunOnceKeys, key_fingerprint, legacy_fingerprint
from stkkr_tasks.tasks._context import WRITERS_PER_PAGE, WriteItem

Outcome = Literal["done", "release", "unknown"]


class RunOnceGuard:
    """Reserves and settles the `unique` keys of one run in the stkkr database.

    Args:
        keys: The run-once keys of the stkkr in the AFAS environment it writes to.
        secret: The fingerprint key (checked against the database before the run starts).
        flow_run_id: The run; its own reservations are told apart from those of runs that ended.
        legacy: Keys with text-only fingerprints exist for this stkkr and environment (stored by an older
            stkkr): rows are looked up under both fingerprints.
    """

    def __init__(self, keys: RunOnceKeys, *, secret: bytes, flow_run_id: str, legacy: bool = False) -> None:
        self.keys = keys
        self.flow_run_id = flow_run_id
        self._secret = secret
        self._legacy = legacy
        self._asked: dict[str, asyncio.Future[bool]] = {}
        self._marks: dict[Outcome, list[str]] = {"done": [], "release": [], "unknown": []}
        self._flusher: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        #: Keys this run left of unknown outcome (few): their error record is this run's, not a notice.
        self._unknown_here: set[str] = set()

    def __repr__(self) -> str:
        return f"RunOnceGuard({self.keys!r})"

    def fingerprints(self, values: Sequence[Any]) -> tuple[str, str | None]:
        """The fingerprint of a `unique` key, and its legacy (text-only) one when that must be looked up."""
        fingerprint = key_fingerprint(self._secret, self.keys.stkkr, values)
        if not self._legacy:
            return fingerprint, None
        legacy = legacy_fingerprint(self._secret, self.keys.stkkr, values)
        return fingerprint, None if legacy == fingerprint else legacy

    async def states(self, fingerprints: set[str]) -> dict[str, KeyState]:
        """The stored states of those of `fingerprints` that have one."""
        return await self.keys.states(fingerprints)

    def is_abandoned(self, fingerprint: str, state: KeyState) -> bool:
        """Whether an earlier run left a key of unknown outcome that this run has not reported yet.

        Those are keys marked unknown, or still reserved by a run that is not this one (it crashed, or
        stopped before its answer came back).
        """
        if state.flow_run_id == self.flow_run_id or fingerprint in self._unknown_here:
            return False
        return state.state in ("unknown", "reserved")

    def request(self, fingerprint: str) -> asyncio.Future[bool]:
        """Ask to reserve a key for this run's write; the future tells whether it was granted.

        False when the key is taken (done, in flight or of unknown outcome); an exception when the
        reservation could not be stored (then nothing may be sent).
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if fingerprint in self._asked:  # another row of this run asked for it first
            future.set_result(False)
            return future
        self._asked[fingerprint] = future
        self._kick()
        return future

    def settle(self, fingerprint: str, outcome: Outcome) -> None:
        """Queue the outcome of a key's write; stored in the next transaction (see `flush`)."""
        self._marks[outcome].append(fingerprint)
        if outcome == "unknown":
            self._unknown_here.add(fingerprint)
        self._kick()

    async def flush(self) -> None:
        """Wait until every queued reservation and settlement is stored.

        Raises:
            Exception: The last transaction failed; its settlements are lost and those keys stay reserved
                (later runs skip them as "outcome unknown", never write them twice).
        """
        self._kick()
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _kick(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Store what is queued, one transaction at a time, until nothing is left."""
        while self._asked or any(self._marks.values()):
            asked, self._asked = self._asked, {}
            marks = self._marks
            self._marks = {"done": [], "release": [], "unknown": []}
            try:
                granted = await self.keys.apply(
                    flow_run_id=self.flow_run_id,
                    reserve=list(asked),
                    done=marks["done"],
                    release=marks["release"],
                    unknown=marks["unknown"],
                )
            except Exception as exc:
                self._error = exc
                for future in asked.values():
                    if not future.done():
                        future.set_exception(exc)
                continue
            for fingerprint, future in asked.items():
                if not future.done():
                    future.set_result(fingerprint in granted)


class PageReservations:
    """The reservations of one page's writes: asked for in row order, `ahead` rows before they are sent.

    Asking ahead hides the database's round trip behind the AFAS requests in flight; without it every
    write would wait for its reservation. Keys reserved for rows that were not sent are released.

    Args:
        guard: The run's guard, or None for a stkkr without `unique` (then every row may be sent).
        items: The page's writes.
        ahead: How many rows past the one being sent are reserved already.
    """

    def __init__(
        self, guard: RunOnceGuard | None, items: Sequence[WriteItem], ahead: int = WRITERS_PER_PAGE
    ) -> None:
        self._guard = guard
        self._items = items
        self._ahead = ahead
        self._asked: dict[int, asyncio.Future[bool]] = {}
        self._next = 0
        self._sent: set[int] = set()

    async def claim(self, index: int) -> bool:
        """Wait for the reservation of row `index` (asking for the next rows too); True: send it.

        Raises:
            Exception: The reservation could not be stored; the row must not be sent.
        """
        if self._guard is None or self._items[index].unique is None:
            return True
        while self._next <= min(index + self._ahead, len(self._items) - 1):
            fingerprint = self._items[self._next].unique
            if fingerprint is not None:
                self._asked[self._next] = self._guard.request(fingerprint)
            self._next += 1
        granted = await self._asked[index]
        if granted:
            self._sent.add(index)
        return granted

    async def release_unsent(self) -> None:
        """Release the keys reserved for rows of this page that were not sent (the run stopped)."""
        if self._guard is None:
            return
        for index, future in self._asked.items():
            if index in self._sent:
                continue
            try:
                granted = await future
            except Exception:  # not reserved: nothing to release
                continue
            fingerprint = self._items[index].unique
            if granted and fingerprint is not None:
                self._guard.settle(fingerprint, "release")
