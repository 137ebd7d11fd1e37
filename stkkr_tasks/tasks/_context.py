"""What the tasks of one stkkr run share (settings, client, stop signal), and the counts they return.

Tasks share no counters: each returns the `Counts` of its page and the flow adds them up. Nothing here is
ever sent to Prefect: tasks receive a `RunContext` as a plain object (not a dataclass, so
Prefect does not traverse or copy it) and rows wrapped in `prefect.utilities.annotations.quote`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient, Element, Pager
    from stkkr_tasks.afas.models import UpdateConnectorMeta
    from stkkr_tasks.spec import Action, CompiledStkkr
    from stkkr_tasks.tasks._groups import Grouper
    from stkkr_tasks.tasks._recorder import ErrorRecorder
    from stkkr_tasks.tasks._respond import Responder
    from stkkr_tasks.tasks._retry import RetryScope
    from stkkr_tasks.tasks._run_once import RunOnceGuard
    from stkkr_tasks.uploads import UploadFile

T = TypeVar("T")

#: Writers per page; the client's limiter caps requests in flight per AFAS environment (8) across pages.
WRITERS_PER_PAGE = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    """Row counts, as data: what one task did to one page, or, added up by the flow, what a run did so far.

    Every row read ends in exactly one of `filtered_out`, `skipped`, `written` (or `would_write` in a dry
    run), `failed`, `not_attempted` (kept rows never sent because the run stopped: no error record each,
    the next run tries them) and `not_retried` (in a retry: rows without an open error record, left alone).
    `pages` counts the GetConnector pages read.
    `kept` counts the rows (or groups) handed to the transform, which `limit` bounds; `limit_reached` says
    that the run stopped reading because of it. `inserted`, `updated` and `deleted` split `written` by action.
    With `group_by` the row counts stay row counts; `groups_written` and `groups_failed` count the groups.
    `batch_fallback` says that AFAS refused several elements per request and the run went on without batch.
    With `respond`, each written row (or group's rows) is also in `responded` (its response write succeeded)
    or `respond_failed` (that write failed: an error record at stage respond; the row stays written).
    A new count added here is also a field of the run's `RunSummary` and a column of its artifact.
    """

    read: int = 0
    filtered_out: int = 0
    skipped: int = 0
    written: int = 0
    would_write: int = 0
    failed: int = 0
    not_attempted: int = 0
    pages: int = 0
    kept: int = 0
    limit_reached: bool = False
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    groups_written: int = 0
    groups_failed: int = 0
    batch_fallback: bool = False
    responded: int = 0
    respond_failed: int = 0
    not_retried: int = 0

    @classmethod
    def of_written(cls, action: Action, rows: int = 1, *, group: bool = False) -> Counts:
        """The counts of rows AFAS accepted (a group's rows when `group`): in `written` and per action."""
        return cls(
            written=rows,
            groups_written=int(group),
            inserted=rows if action == "insert" else 0,
            updated=rows if action == "update" else 0,
            deleted=rows if action == "delete" else 0,
        )

    @classmethod
    def of_failed(cls, rows: int = 1, *, group: bool = False) -> Counts:
        """The counts of a failed row or group (`rows` rows)."""
        return cls(failed=rows, groups_failed=int(group))

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{name: _add(getattr(self, name), getattr(other, name)) for name in COUNT_FIELDS})

    def accounted(self) -> int:
        """Rows that reached a final outcome so far."""
        done = self.filtered_out + self.skipped + self.written + self.would_write
        return done + self.failed + self.not_attempted + self.not_retried


#: The fields of `Counts`, in order.
COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Counts))


def _add(left: Any, right: Any) -> Any:
    """Add two counts; flags (`limit_reached`, `batch_fallback`) stay flags: set when either is."""
    if isinstance(left, bool):
        return left or right
    return left + right


class Limiter:
    """The run's `limit`: how many rows (or groups) were kept so far, and whether the limit is reached.

    Run-wide state, not a count: `filter_rows` asks it where to cut a page and tells it what it kept (pages
    are filtered one after the other); the pipeline stops reading once it is reached.

    Args:
        limit: The most rows (or groups) a run keeps.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = 0
        self.reached = False

    @property
    def remaining(self) -> int:
        """How many rows (or groups) the run may still keep."""
        return self.limit - self.kept

    def keep(self, kept: int) -> None:
        """Count rows (or groups) kept; the limit is reached once they add up to it."""
        self.kept += kept
        self.reached = self.kept >= self.limit


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
        row: The row as read (kept only for redacting AFAS messages and fingerprinting its key); for a
            group its first row.
        rows: The rows of the group (with `group_by`); empty for a single row.
        action: insert, update or delete (per row when `update.action` is an expression).
        unique: The fingerprint of the row's `unique` key, or None without `unique`.
        element: The UpdateConnector element for insert and update.
        delete_keys: The key values for delete.
    """

    row: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    action: Action = "update"
    unique: str | None = None
    element: Element | None = None
    delete_keys: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many rows it stands for."""
        return len(self.rows) or 1


@dataclass
class KeptRow:
    """A row (or a group of rows) that passed the filter and the `unique` check.

    Attributes:
        row: The row; for a group its first row.
        unique: The fingerprint of its `unique` key, or None without `unique`.
        rows: The rows of the group (with `group_by`); empty for a single row.
    """

    row: dict[str, Any]
    unique: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """How many rows it stands for."""
        return len(self.rows) or 1


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
        client: The open AFAS client the updates go to (`update.connection`'s, or the one that reads).
        pager: The pager over the GetConnector (None when the stkkr reads an uploaded file).
        recorder: Records failed rows in the error store and applies the error policy.
        get_connector: The GetConnector id (for an uploaded file: what the stkkr reads, `StkkrSpec.source`).
        connector: The UpdateConnector id.
        object_name: The sub-object for delete, or None for the connector itself.
        dry_run: When True nothing is written and nothing is recorded.
        guard: The run-once guard of a stkkr with `unique` (None without).
        limit: Stop after this many kept rows (or groups); None for no bound.
        grouper: Holds the open group with `group_by`; None when every row is its own element.
        body_root: The root object of request bodies (`FiEntryPar` for FiEntries); default the connector.
        batch: Inserts or updates sent per request (`update.batch`).
        on_warning: Called with a safe message (no row values) when the run meets something to warn about.
        upload: The uploaded file the stkkr reads instead of a GetConnector (opened, header checked).
        responder: Sends the `respond` write after each successful one; None without `respond`.
        retry: In a retry run (`stkkr retry`): the open error records whose rows alone are processed.
        update_meta: The UpdateConnector's metainfo: every element is checked against it before it is sent
            (`_precheck`); None checks nothing.
    """

    def __init__(
        self,
        *,
        stkkr: str,
        compiled: CompiledStkkr,
        client: AfasClient,
        pager: Pager | None,
        recorder: ErrorRecorder,
        get_connector: str,
        connector: str,
        object_name: str | None = None,
        dry_run: bool = False,
        guard: RunOnceGuard | None = None,
        limit: int | None = None,
        grouper: Grouper | None = None,
        body_root: str | None = None,
        batch: int = 1,
        on_warning: Callable[[str], None] | None = None,
        upload: UploadFile | None = None,
        responder: Responder | None = None,
        retry: RetryScope | None = None,
        update_meta: UpdateConnectorMeta | None = None,
    ) -> None:
        self.stkkr = stkkr
        self.compiled = compiled
        self.client = client
        self.pager = pager
        self.upload = upload
        self.recorder = recorder
        self.get_connector = get_connector
        self.connector = connector
        self.object_name = object_name
        self.dry_run = dry_run
        self.limiter = Limiter(limit) if limit is not None else None
        self.grouper = grouper
        self.body_root = body_root or connector
        self.batch = batch
        self.responder = responder
        self.update_meta = update_meta
        #: Set once AFAS refused several elements per request while it accepts them one by one: from then
        #: on the run sends one element per request (`_batches`).
        self.batch_fallback = False
        self._on_warning = on_warning
        self.guard = guard
        self.retry = retry
        #: Pages start their writes in turn: a page holds the turn until its last write has started, so
        #: pages written at the same time do not share the 8 slots but hand them over one by one.
        self.write_turn = asyncio.Lock()

    @property
    def stop(self) -> StopSignal:
        """The stop signal of this run (owned by the recorder)."""
        return self.recorder.stop

    @property
    def reading_done(self) -> bool:
        """True once no more pages should be read: the run must stop, or its `limit` was reached."""
        return self.stop.is_set or (self.limiter is not None and self.limiter.reached)

    def warn(self, message: str) -> None:
        """Pass a warning on (a safe message: no row values, no token)."""
        if self._on_warning is not None:
            self._on_warning(message)

    def __repr__(self) -> str:
        return f"RunContext(stkkr={self.stkkr!r}, connector={self.connector!r})"
