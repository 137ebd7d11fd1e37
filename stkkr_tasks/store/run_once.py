"""The run-once guard's keys: per stkkr and AFAS environment, reserved before a write, settled after it.

A key goes through these states (a row in `run_once_keys`):

```
(absent) --reserve--> reserved --written--> done
                          |------refused--> (absent)         released: a later run tries the row again
                          '------unknown--> unknown          sent, no answer: skipped until resolved
```

Reserving is an insert-if-absent on the primary key, so of two writers only one gets a key, whatever their
pages, runs or processes. A reservation whose run ended without settling it (a crash) stays reserved, and
later runs treat it as unknown: the write may have happened.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Delete, Update, and_, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ColumnElement

from stkkr_tasks.store._batches import chunks
from stkkr_tasks.store._schema import error_records, run_once_keys, stkkr_activity

KeyStateName = Literal["reserved", "done", "unknown"]
LEGACY_ENVIRONMENT = ""  # keys stored before run-once keys belonged to an environment
_ROWS = 200  # reservations per INSERT (8 parameters each)


@dataclass(frozen=True, slots=True)
class KeyState:
    """A stored run-once key as the guard sees it.

    Attributes:
        state: reserved, done or unknown.
        flow_run_id: The run that reserved it (None for keys stored before reservations existed).
        legacy: A text-only fingerprint stored before typed fingerprints existed.
    """

    state: KeyStateName
    flow_run_id: str | None
    legacy: bool


class RunOnceKeys:
    """The run-once keys of one stkkr in one AFAS environment.

    Args:
        engine: The open engine of the stkkr database.
        stkkr: The stkkr's name.
        environment: The AFAS environment written to (`environment_scope`).
    """

    def __init__(self, engine: AsyncEngine, stkkr: str, environment: str) -> None:
        if not environment:
            raise ValueError("run-once keys need the AFAS environment they belong to")
        self._engine = engine
        self.stkkr = stkkr
        self.environment = environment

    def __repr__(self) -> str:
        return f"RunOnceKeys(stkkr={self.stkkr!r}, environment={self.environment!r})"

    async def start_run(self, *, now: datetime | None = None) -> bool:
        """Note that the stkkr runs, and adopt keys stored before keys belonged to an environment.

        Those keys were written by this stkkr to the environment it used then; the first run after the
        upgrade takes them over for its own environment (the stkkr's connection rarely changes).

        Returns:
            True when legacy (text-only) fingerprints exist for this stkkr and environment.
        """
        now = now or datetime.now(UTC)
        twin = run_once_keys.alias("twin")
        already_here = exists().where(
            twin.c.stkkr == self.stkkr,
            twin.c.environment == self.environment,
            twin.c.fingerprint == run_once_keys.c.fingerprint,
        )
        adopt = (
            update(run_once_keys)
            .where(
                run_once_keys.c.stkkr == self.stkkr,
                run_once_keys.c.environment == LEGACY_ENVIRONMENT,
                ~already_here,
            )
            .values(environment=self.environment)
        )
        leftover = delete(run_once_keys).where(
            run_once_keys.c.stkkr == self.stkkr, run_once_keys.c.environment == LEGACY_ENVIRONMENT
        )
        touch = _insert(self._engine, stkkr_activity).values(stkkr=self.stkkr, last_run_at=now)
        touch = touch.on_conflict_do_update(index_elements=["stkkr"], set_={"last_run_at": now})
        legacy = select(run_once_keys.c.fingerprint).where(self._scope(), run_once_keys.c.legacy).limit(1)
        async with self._engine.begin() as connection:
            await connection.execute(adopt)
            await connection.execute(leftover)
            await connection.execute(touch)
            return (await connection.execute(legacy)).first() is not None

    async def states(self, fingerprints: Collection[str]) -> dict[str, KeyState]:
        """The stored state of those of `fingerprints` that have one."""
        found: dict[str, KeyState] = {}
        columns = (
            run_once_keys.c.fingerprint,
            run_once_keys.c.state,
            run_once_keys.c.flow_run_id,
            run_once_keys.c.legacy,
        )
        async with self._engine.connect() as connection:
            for chunk in chunks(fingerprints):
                query = select(*columns).where(self._scope(), run_once_keys.c.fingerprint.in_(chunk))
                for fingerprint, state, run, legacy in await connection.execute(query):
                    found[fingerprint] = KeyState(state, run, bool(legacy))
        return found

    async def apply(
        self,
        *,
        flow_run_id: str,
        reserve: Collection[str] = (),
        done: Collection[str] = (),
        release: Collection[str] = (),
        unknown: Collection[str] = (),
        now: datetime | None = None,
    ) -> set[str]:
        """Settle keys and reserve others, in one transaction.

        Args:
            flow_run_id: The run asking.
            reserve: Keys to reserve; only the ones nobody holds are granted.
            done: Keys this run wrote.
            release: Keys of this run whose write was refused: deleted, so a later run tries again.
            unknown: Keys whose write has an unknown outcome: kept until an operator resolves them.
            now: The time of the change (default: the clock).

        Returns:
            The keys of `reserve` that this call reserved.
        """
        now = now or datetime.now(UTC)
        granted: set[str] = set()
        async with self._engine.begin() as connection:
            for chunk in chunks(done):
                await connection.execute(self._set_state(chunk, "done", now))
            for chunk in chunks(unknown):
                await connection.execute(self._set_state(chunk, "unknown", now))
            for chunk in chunks(release):
                await connection.execute(
                    delete(run_once_keys).where(
                        self._scope(),
                        run_once_keys.c.fingerprint.in_(chunk),
                        run_once_keys.c.state == "reserved",
                        run_once_keys.c.flow_run_id == flow_run_id,
                    )
                )
            for chunk in chunks(reserve, _ROWS):
                rows = [self._reservation(fp, flow_run_id, now) for fp in chunk]
                statement = _insert(self._engine, run_once_keys).values(rows).on_conflict_do_nothing()
                result = await connection.execute(statement.returning(run_once_keys.c.fingerprint))
                granted.update(result.scalars())
        return granted

    async def resolve(self, fingerprint: str, *, written: bool, now: datetime | None = None) -> bool:
        """Settle a key whose write had an unknown outcome: done when written, released when not.

        A key that is done already stays done (a later run wrote it).

        Returns:
            True when a reserved or unknown key was settled.
        """
        still_open = run_once_keys.c.state.in_(["reserved", "unknown"])
        statement: Update | Delete
        if written:
            statement = self._set_state([fingerprint], "done", now or datetime.now(UTC)).where(still_open)
        else:
            key = run_once_keys.c.fingerprint == fingerprint
            statement = delete(run_once_keys).where(self._scope(), key, still_open)
        async with self._engine.begin() as connection:
            return bool((await connection.execute(statement)).rowcount)

    async def unresolved_records(self, fingerprints: Collection[str]) -> set[str]:
        """Those of `fingerprints` that have an unresolved error record (of any age not yet pruned)."""
        found: set[str] = set()
        async with self._engine.connect() as connection:
            for chunk in chunks(fingerprints):
                query = select(error_records.c.unique_key).where(
                    error_records.c.stkkr == self.stkkr,
                    error_records.c.environment == self.environment,
                    error_records.c.unique_key.in_(chunk),
                    error_records.c.resolution.is_(None),
                )
                found.update((await connection.execute(query)).scalars())
        return found

    def _scope(self) -> ColumnElement[bool]:
        return and_(run_once_keys.c.stkkr == self.stkkr, run_once_keys.c.environment == self.environment)

    def _set_state(self, fingerprints: list[str], state: KeyStateName, now: datetime) -> Update:
        return (
            update(run_once_keys)
            .where(self._scope(), run_once_keys.c.fingerprint.in_(fingerprints))
            .values(state=state, updated_at=now)
        )

    def _reservation(self, fingerprint: str, flow_run_id: str, now: datetime) -> dict[str, Any]:
        return {
            "stkkr": self.stkkr,
            "environment": self.environment,
            "fingerprint": fingerprint,
            "state": "reserved",
            "flow_run_id": flow_run_id,
            "legacy": False,
            "created_at": now,
            "updated_at": now,
        }


def _insert(engine: AsyncEngine, table: Any) -> Any:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
