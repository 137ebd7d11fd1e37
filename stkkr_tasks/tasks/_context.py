"""What the tasks of one stkkr run share (settings, client, stop signal), and the counts they return.

Tasks share no counters: each returns the `Counts` of its page and the flow adds them up. Nothing here is
ever sent to Prefect: tasks receive a `RunContext` as a plain object (not a dataclass, so
Prefect does not traverse or copy it) and rows wrapped in `prefect.utilities.annotations.quote`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient, Element, Pager
    from stkkr_tasks.spec import CompiledStkkr
    from stkkr_tasks.tasks._recorder import ErrorRecorder
    from stkkr_tasks.tasks._run_once import RunOnceGuard

Action = Literal["insert", "update", "delete"]
T = TypeVar("T")

#: Writers per page; the client's limiter caps requests in flight per AFAS environment (8) across pages.
WRITERS_PER_PAGE = 8


@dataclass(frozen=True, slots=True)
class Counts:
    """Row counts, as data: what one task did to one page, or, added up by the flow, what a run did so far.

    Every row read ends in exactly one of `filtered_out`, `skipped`, `written` (or `would_write` in a dry
    run) and `failed`; `not_attempted` counts the failed rows that were never sent because the run stopped.
    """

    read: int = 0
    filtered_out: int = 0
    skipped: int = 0
    written: int = 0
    would_write: int = 0
    failed: int = 0
    not_attempted: int = 0
    pages: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, name) + getattr(other, name) for name in COUNT_FIELDS))

    def accounted(self) -> int:
        """Rows that reached a final outcome."""
        return self.filtered_out + self.skipped + self.written + self.would_write + self.failed


#: The fields of `Counts`, in order.
COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Counts))


@dataclass
class StopSignal:
    """Why a run stops early; set once, by the first reason that comes up.

    Attributes:
        reason: A message safe to show (no row values, no token), or None while the run goes on.
        fatal: True when AFAS cannot be used (auth, unreachable), False for an error policy stop.
    """

    reason: str | None = None
    fatal: bool = False

    @property
    def is_set(self) -> bool:
        """True once a stop reason was given."""
        return self.reason is not None

    def set(self, reason: str, *, fatal: bool = False) -> None:
        """Record the first reason to stop; later reasons are ignored."""
        if self.reason is None:
            self.reason = reason
            self.fatal = fatal


@dataclass
class WriteItem:
    """One kept, transformed row waiting to be written.

    Attributes:
        row: The row as read (kept only for redacting AFAS messages and fingerprinting its key).
        unique: The fingerprint of the row's `unique` key, or None without `unique`.
        element: The UpdateConnector element for insert and update.
        delete_keys: The key values for delete.
    """

    row: dict[str, Any]
    unique: str | None = None
    element: Element | None = None
    delete_keys: dict[str, Any] = field(default_factory=dict)


@dataclass
class KeptRow:
    """A row that passed the filter and the `unique` check, with its `unique` fingerprint."""

    row: dict[str, Any]
    unique: str | None = None


class Batch(Generic[T]):
    """One page's rows, kept rows or writes, as a task returns them, with the task's counts for that page.

    A plain object on purpose: Prefect links every task result, and each element of a returned list, to the
    task run's state for the rest of the flow run (`FlowRunContext.run_results`, dependency tracking). A
    returned list of 500 rows adds 500 links per task run, so a run's memory would grow with the rows it
    reads; a `Batch` adds one link (a weak reference, so the rows are still freed with their page).

    Attributes:
        items: The rows, kept rows or writes of the page.
        counts: What the task that returned it did to the page's rows.
    """

    __slots__ = ("__weakref__", "counts", "items")

    def __init__(self, items: list[T], counts: Counts) -> None:
        self.items = items
        self.counts = counts

    def __repr__(self) -> str:
        return f"Batch({len(self.items)} items, {self.counts})"


class RunContext:
    """Everything the four tasks of one run share. Lives in memory only, for one run.

    Args:
        stkkr: The stkkr's name.
        compiled: The compiled stkkr (expressions ready to evaluate).
        client: The open AFAS client of this run.
        pager: The pager over the GetConnector.
        recorder: Records failed rows in the error store and applies the error policy.
        get_connector: The GetConnector id.
        connector: The UpdateConnector id.
        action: insert, update or delete.
        object_name: The sub-object for delete, or None for the connector itself.
        dry_run: When True nothing is written and nothing is recorded.
        guard: The run-once guard of a stkkr with `unique` (None without).
    """

    def __init__(
        self,
        *,
        stkkr: str,
        compiled: CompiledStkkr,
        client: AfasClient,
        pager: Pager,
        recorder: ErrorRecorder,
        get_connector: str,
        connector: str,
        action: Action,
        object_name: str | None = None,
        dry_run: bool = False,
        guard: RunOnceGuard | None = None,
    ) -> None:
        self.stkkr = stkkr
        self.compiled = compiled
        self.client = client
        self.pager = pager
        self.recorder = recorder
        self.get_connector = get_connector
        self.connector = connector
        self.action: Action = action
        self.object_name = object_name
        self.dry_run = dry_run
        self.guard = guard
        #: Pages start their writes in turn: a page holds the turn until its last write has started, so
        #: pages written at the same time do not share the 8 slots but hand them over one by one.
        self.write_turn = asyncio.Lock()

    @property
    def stop(self) -> StopSignal:
        """The stop signal of this run (owned by the recorder)."""
        return self.recorder.stop

    def __repr__(self) -> str:
        return f"RunContext(stkkr={self.stkkr!r}, connector={self.connector!r}, action={self.action!r})"
