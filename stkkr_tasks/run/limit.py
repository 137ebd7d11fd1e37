"""One limit per AFAS environment across every process: a Prefect global concurrency limit, taken per page.

The client's limiter keeps one process within `max_concurrency`; this keeps all of them together within it.
A run takes slots of its environments' limits only while it has AFAS requests in flight, and gives them
back in between, so runs of one environment interleave page by page and the Prefect overhead of one run
(task starts, result handling, artifacts) no longer keeps the others waiting.

The unit is a page (`RunSlots.page`): the run's start (metainfo, lookups), each page read (1 slot), each
page of writes with its responses (as many slots as it has writers, at most `max_concurrency`). Pages of
one run that overlap (the next page is read while this one is written) or follow within `LINGER_S` share
one lease; the lease is taken when the first of them starts and given back `LINGER_S` after the last ends
(in the background: a page never waits for it): two server round trips per stretch of pages, one more
when a page of writes needs more slots than the lease has (a top-up, never waited for).
A stretch that lasts `TURN_S` ends: new pages wait until the pages in flight are done and the slots given
back, then ask again after `POLL_MAX_S`, the longest pause between two asks of a waiting run, so a run
that keeps AFAS busy for an hour lets the others in twice a minute instead of after the hour.
Every request of a run's clients passes the run's gate (`RunSlots.request`): it is counted against the
slots the run holds (a request outside any page is a page of its own), so nothing reaches AFAS uncovered.

No deadlock: a run waits for slots only while it holds none (of any of its environments: one lease covers
all of them, all or nothing); a top-up is asked once and, when refused, the page makes do with the slots
the run holds; a request waits for one of its run's slots only inside a page that holds them (the run's
other requests end without waiting for anything). A lease lives `LEASE_SECONDS` unless renewed (it is,
while a stretch lasts longer): a dead worker's slots come back by themselves. While the Prefect server
cannot be reached a run waits and retries; it never sends to AFAS without slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING
from uuid import UUID

import anyio
import httpx
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

__all__ = ["LEASE_SECONDS", "RunSlots", "limit_name", "run_slots"]

LEASE_SECONDS = 60.0
"""How long a lease lasts unless renewed (Prefect's minimum): a dead worker's slots return within it."""

RENEW_EVERY_S = LEASE_SECONDS / 3
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
POLL_MAX_S = 1.0
"""The longest wait between two asks for slots that other runs hold (the server suggests a wait)."""
POLL_MIN_S = 0.1
LINGER_S = 1.0
"""How long a run keeps its slots after its last page in flight ended, for its next page (a page read, then
its writes, come a few Prefect tasks apart): two server round trips per stretch of pages, not per page."""
TURN_S = 30.0
"""How long a run keeps its slots while its pages follow each other without a pause; then it gives them
back and asks again, so that a long run lets the other runs of its environment in."""

_LOCKED = 423
_UNREACHABLE = (ObjectAlreadyExists, httpx.HTTPError, OSError)


def limit_name(environment: str) -> str:
    """The global concurrency limit of an environment scope (`afas:<number>:<type>` or `url:<base URL>`).

    Prefect refuses `/` in names, so a base URL's slashes become colons.

    Example:
        >>> limit_name("url:http://127.0.0.1:8000/ProfitRestServices")
        'stkkr-url:http:127.0.0.1:8000:ProfitRestServices'
    """
    return "stkkr-" + environment.replace("://", ":").replace("/", ":")


class _LimitMissing(Exception):
    """The limit was deleted while the run was open: create it again."""


class RunSlots:
    """The slots one run holds of its AFAS environments' limits: taken per page, shared by its pages.

    Args:
        client: An open Prefect client (the run's).
        limits: The limit of each environment the run uses, by limit name (`max_concurrency`).
        holder: Shown as the lease's holder (in `prefect gcl inspect`).
        on_wait: Told with a safe message when the run waits: once when other runs hold the slots, once
            when the server cannot be reached.

    Attributes:
        round_trips: Requests sent to the Prefect server for slots (taking, topping up, renewing, giving
            back; each ask while waiting counts too).
    """

    def __init__(
        self,
        client: PrefectClient,
        limits: Mapping[str, int],
        *,
        holder: ConcurrencyLeaseHolder | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self._limits = dict(limits)
        self._names = sorted(limits)
        self.limit = min(limits.values())
        self._holder = holder
        self._on_wait = on_wait
        self._told: set[str] = set()
        self._leases: dict[UUID, int] = {}
        self._pages = 0
        self._lock = asyncio.Lock()
        self._local = anyio.CapacityLimiter(1)
        self._renewer: asyncio.Task[None] | None = None
        self._entries = 0
        self._lingering: set[asyncio.Task[None]] = set()
        self._since = 0.0
        self._returned = asyncio.Event()
        self.round_trips = 0

    @property
    def held(self) -> int:
        """Slots the run holds now (of each of its environments)."""
        return sum(self._leases.values())

    @asynccontextmanager
    async def page(self, need: int = 1) -> AsyncIterator[None]:
        """Hold slots while the block sends a page's requests: at least one, `need` if they can be had.

        The first page of a stretch waits for its slots (the run holds none then); a page that starts while
        the run holds fewer than `need` asks once for the difference and otherwise shares what is held.
        Once a stretch has lasted `TURN_S`, a new page waits until the pages in flight are done and the
        slots given back, and asks again after `POLL_MAX_S` (a run waiting for them asks meanwhile).
        The run's requests in flight never exceed the slots it holds (`request`).
        """
        if need < 1:  # nothing to send
            yield
            return
        need = min(need, self.limit)
        while self._leases and time.monotonic() - self._since > TURN_S:
            await self._returned.wait()  # the pages in flight end; this page holds nothing meanwhile
            await asyncio.sleep(POLL_MAX_S)  # the other runs' turn to ask, not synchronisation
        if self._leases and self.held >= need:
            self._enter()  # joins the lease without a lock: nothing to ask the server
        else:
            async with self._lock:
                if not self._leases:
                    await self._take(need, wait=True)
                elif self.held < need:
                    await self._take(need - self.held, wait=False)
                self._enter()
        try:
            yield
        finally:
            self._leave()

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """The gate of every AFAS request of the run: one of the slots held, within its page (a request
        outside any page is a page of its own) (`AfasClient.gate_requests`)."""
        if self._pages and self._leases:
            self._enter()  # within a page: its turn is not over until it ends
            scope: AbstractAsyncContextManager[None] = self._joined()
        else:
            scope = self.page(1)
        async with scope:
            borrower = object()
            await self._local.acquire_on_behalf_of(borrower)
            try:
                yield
            finally:
                self._local.release_on_behalf_of(borrower)

    @asynccontextmanager
    async def _joined(self) -> AsyncIterator[None]:
        """Leave a page joined already (a request within one)."""
        try:
            yield
        finally:
            self._leave()

    def _enter(self) -> None:
        self._pages += 1
        self._entries += 1

    def _leave(self) -> None:
        """Leave a page (`page`, `request`): the last one out gives the slots back after `LINGER_S`, unless
        the run's next page comes first."""
        self._pages -= 1
        if self._pages == 0:
            task = asyncio.create_task(self._give_back_if_idle(self._entries))
            self._lingering.add(task)
            task.add_done_callback(self._lingering.discard)

    async def _give_back_if_idle(self, entries: int) -> None:
        await asyncio.sleep(LINGER_S)  # the pause a next page may come in, not synchronisation
        async with self._lock:
            if self._pages == 0 and self._entries == entries:
                await self._give_back()

    async def _take(self, slots: int, *, wait: bool) -> None:
        """Ask for `slots` slots of every limit; wait for them (only when none are held) or ask once."""
        delay = RETRY_FIRST_S
        while True:
            try:
                lease, retry_after = await self._increment(slots)
            except _LimitMissing:
                await ensure_limits(self._client, self._limits)
                await asyncio.sleep(POLL_MIN_S)  # a pause between asks, not synchronisation
                continue
            except _UNREACHABLE as exc:
                if not wait:
                    return  # a top-up: the page makes do with the slots held
                delay = await self._unreachable(exc, delay)
                continue
            if lease is not None:
                if not self._leases:
                    self._since = time.monotonic()
                    self._returned.clear()
                self._leases[lease] = slots
                self._local.total_tokens = max(self.held, 1)
                if self._renewer is None:
                    self._renewer = asyncio.create_task(self._renew())
                return
            if not wait:
                return
            self._tell(
                "busy",
                f"The slots of {_names(self._names)} are taken by other runs; this run waits for them.",
            )
            # the server's suggested wait, capped so a run starts soon after the slots come free
            pause = min(max(retry_after, POLL_MIN_S), POLL_MAX_S) * random.uniform(0.5, 1.0)
            await asyncio.sleep(pause)

    async def _increment(self, slots: int) -> tuple[UUID | None, float]:
        """One ask: the new lease, or None and the wait the server suggests."""
        self.round_trips += 1
        try:
            response = await self._client.increment_concurrency_slots_with_lease(
                names=self._names,
                slots=slots,
                mode="concurrency",
                lease_duration=LEASE_SECONDS,
                holder=self._holder,
            )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == _LOCKED:
                return None, float(exc.response.headers.get("Retry-After", POLL_MAX_S))
            raise
        body = response.json()
        if len(body.get("limits") or []) < len(self._names):
            if body.get("limits"):
                await self._release(UUID(body["lease_id"]))
            raise _LimitMissing()
        return UUID(body["lease_id"]), 0.0

    async def _give_back(self) -> None:
        """Give every lease back (the run has no page in flight); a failed release ends with the lease."""
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        leases, self._leases = list(self._leases), {}
        self._local.total_tokens = 1
        self._returned.set()
        for lease in leases:
            await self._release(lease)

    async def _release(self, lease: UUID) -> None:
        self.round_trips += 1
        with contextlib.suppress(*_UNREACHABLE):  # the server repossesses them when the lease ends
            await self._client.release_concurrency_slots_with_lease(lease)

    async def _renew(self) -> None:
        """Renew the leases of a stretch of pages that lasts long; a lease the server lost is dropped, and the
        run's next page waits for new slots."""
        while True:
            await asyncio.sleep(RENEW_EVERY_S)  # the renewal period, not synchronisation
            for lease in list(self._leases):
                self.round_trips += 1
                try:
                    await self._client.renew_concurrency_lease(lease, lease_duration=LEASE_SECONDS)
                except httpx.HTTPStatusError as exc:
                    if exc.response.status_code == httpx.codes.NOT_FOUND:
                        self._leases.pop(lease, None)
                        self._local.total_tokens = max(self.held, 1)
                except _UNREACHABLE:
                    pass  # tried again in RENEW_EVERY_S, well before the lease ends

    async def open(self) -> None:
        """Create each limit or set it to its number, waiting and retrying while the server is unreachable."""
        delay = RETRY_FIRST_S
        while True:
            try:
                await ensure_limits(self._client, self._limits)
                return
            except _UNREACHABLE as exc:
                delay = await self._unreachable(exc, delay)

    async def close(self) -> None:
        """Give back whatever is still held (lingering, or a page cut short): the run ends."""
        with anyio.CancelScope(shield=True):
            async with self._lock:
                for task in list(self._lingering):
                    task.cancel()  # asleep or waiting for the lock: none is giving slots back now
                await self._give_back()

    async def _unreachable(self, exc: BaseException, delay: float) -> float:
        """Say (once) that the server cannot be reached, wait `delay`; returns the next, longer delay."""
        self._tell(
            "unreachable",
            f"The Prefect server's concurrency limit {_names(self._names)} cannot be reached "
            f"({type(exc).__name__}); the run waits and retries before it sends anything to AFAS.",
        )
        await asyncio.sleep(delay)  # backoff between attempts, not synchronisation
        return min(delay * 2, RETRY_MAX_S)

    def _tell(self, reason: str, message: str) -> None:
        if reason not in self._told:
            self._told.add(reason)
            if self._on_wait is not None:
                self._on_wait(message)


def _names(names: list[str]) -> str:
    return " and ".join(repr(name) for name in names)


@asynccontextmanager
async def run_slots(
    limits: Mapping[str, int],
    *,
    flow_run_id: str | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> AsyncIterator[RunSlots]:
    """The slots of a run's environments, taken per page (`RunSlots.page`); each limit is set up first.

    Args:
        limits: `max_concurrency` by environment scope (`stkkr_tasks.afas.environment.environment_scope`).
        flow_run_id: Shown as the lease's holder (in `prefect gcl inspect`).
        on_wait: Told with a safe message when the run waits (see `RunSlots`).

    Yields:
        The run's slots; none are held yet. While the Prefect server cannot be reached the run waits here,
        retrying with backoff, and sends nothing. Whatever is still held is given back at the end.
    """
    holder = ConcurrencyLeaseHolder(type="flow_run", id=UUID(flow_run_id)) if flow_run_id else None
    by_name = {limit_name(environment): slots for environment, slots in limits.items()}
    async with get_client() as client:
        slots = RunSlots(client, by_name, holder=holder, on_wait=on_wait)
        await slots.open()
        try:
            yield slots
        finally:
            await slots.close()


async def ensure_limits(client: PrefectClient, limits: Mapping[str, int]) -> None:
    """Create each limit, or set it to its number (the connection block is the source of the number)."""
    for name, slots in limits.items():
        try:
            limit = await client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # another run created it just now
                await client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=slots)
                )
            continue
        if limit.limit != slots:
            await client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=slots))
