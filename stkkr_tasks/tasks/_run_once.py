"""The run-once guard of a run: reserve each `unique` key right before its write, settle it right after.

Writers ask for keys one by one; the guard gathers what arrives while the database is busy into one
transaction (group commit), together with the settlements of finished writes. So a write's key is
reserved before the request leaves, and settled in the next transaction after its answer: a crash or
cancel leaves only the keys of writes in flight reserved, and those later runs skip as "outcome unknown".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from stkkr_tasks.store import KeyState, RunOnceKeys, key_fingerprint, legacy_fingerprint

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

    async def reserve(self, fingerprint: str) -> bool:
        """Reserve a key for this run's write; False when it is taken (done, in flight or unknown).

        Raises:
            StoreError or another database error: The reservation could not be stored; nothing may be sent.
        """
        if fingerprint in self._asked:  # another row of this run asks for it in the same transaction
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._asked[fingerprint] = future
        self._kick()
        return await future

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
