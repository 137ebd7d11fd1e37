"""Opening a run: load the connection block, open the client and the error store, check the stkkr online."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from stkkr_tasks.afas import AfasError
from stkkr_tasks.afas.environment import environment_scope
from stkkr_tasks.afas.httpx_log import hide_row_values
from stkkr_tasks.connections import ConnectionBlockError, aload_connection
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.run.limit import environment_slots
from stkkr_tasks.seam import ConnectionBlock
from stkkr_tasks.spec import check_online, row_fields
from stkkr_tasks.store import ErrorStore, FingerprintKeyMismatch, StoreConfigError, aget_fingerprint_key
from stkkr_tasks.store._config import default_database_url, normalise_url
from stkkr_tasks.tasks import (
    ErrorRecorder,
    Grouper,
    RetryScope,
    RunAborted,
    RunContext,
    RunOnceGuard,
    WriteTarget,
)
from stkkr_tasks.tasks._errors import fatal_reason, unexpected
from stkkr_tasks.tasks._respond import Responder
from stkkr_tasks.tasks.lookups import read_lookups
from stkkr_tasks.uploads import UploadError, UploadFile

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient
    from stkkr_tasks.spec import CompiledStkkr, StkkrSpec


class StkkrMismatch(StkkrError):
    """The stkkr does not fit the AFAS environment (online validation); nothing was sent.

    Attributes:
        problems: One line per problem, `file:line: path: message` as `stkkr validate` prints it.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) with the AFAS environment")
        self.problems = tuple(problems)


def run_tags(spec: StkkrSpec) -> list[str]:
    """The tags of every run of a stkkr: `stkkr:<name>` and, when it has one, `tenant:<tenant>`."""
    tags = [f"stkkr:{spec.stkkr}"]
    if spec.tenant:
        tags.append(f"tenant:{spec.tenant}")
    return tags


def abort_message(exc: BaseException) -> str:
    """A safe, clear message for an exception that ends a run (no token, no row values)."""
    if isinstance(exc, RunAborted):
        return str(exc)
    reason = fatal_reason(exc)
    if reason is not None:
        return reason
    if isinstance(exc, AfasError):
        return f"AFAS answered with an error: {exc}"
    return unexpected(exc, "running the stkkr")


async def load_connection(name: str) -> ConnectionBlock:
    """Load the AfasConnection block named `name`.

    Raises:
        RunAborted: There is no such block, or it cannot be read (the message says how to set it).
    """
    try:
        return await aload_connection(name)
    except ConnectionBlockError as exc:
        raise RunAborted(str(exc)) from None


@asynccontextmanager
async def open_run(
    spec: StkkrSpec,
    compiled: CompiledStkkr,
    *,
    flow_run_id: str,
    dry_run: bool = False,
    limit: int | None = None,
    on_warning: Callable[[str], None] | None = None,
    upload: str | None = None,
    retry: bool = False,
    retry_since: datetime | None = None,
    work_pool: str | None = None,
) -> AsyncIterator[RunContext]:
    """Open everything one run needs and close it afterwards.

    Every connection the stkkr uses gets its own client: it reads with `connection`, writes with
    `update.connection` and responds with `respond.update.connection` (each defaulting to the one before).
    The run-once keys and error records belong to the environment `update` writes to.

    Args:
        spec: The stkkr.
        compiled: The compiled stkkr.
        flow_run_id: The id of the current flow run.
        dry_run: When True nothing is written and no error record is stored.
        limit: Stop after this many kept rows (or groups); None for no bound.
        on_warning: Called with a safe warning message (e.g. AFAS refused several elements per request).
        upload: The file a stkkr with `input:` reads (a path or fsspec URL); None for a GetConnector.
        retry: Process only the rows with an open error record (`RetryScope`), loaded once, now.
        retry_since: With `retry`: only records whose last failure is at or after this moment.
        work_pool: The work pool the run was started from, if any: its workers must share the database.

    Yields:
        The run's context for the tasks, after the online validation passed.

    Before the first AFAS request the run takes the slots of each AFAS environment it uses
    (`environment_slots`); it holds them until it ends.

    Raises:
        RunAborted: A connection block is missing or unusable, a GetConnector lookup cannot be read, the
            uploaded file is missing, unreadable or lacks a column the stkkr reads (nothing was sent), or the
            run is on a work pool but its stkkr database is this machine's SQLite file.
        StkkrMismatch: The stkkr does not fit the AFAS environment.
        AfasError: AFAS refused the token or is unreachable (validation is the first call).
    """
    hide_row_values()  # page and delete URLs carry row keys: keep them out of httpx's request log
    refuse_local_database(work_pool)
    _check_source(spec, upload)
    async with open_clients(spec.connections, flow_run_id=flow_run_id, on_wait=on_warning) as clients:
        client = clients[spec.connection]
        writer = clients[spec.write_connection]
        check = await check_online(spec, client, clients)
        if check.problems:
            raise StkkrMismatch([str(problem) for problem in check.problems])
        compiled = await read_lookups(client, compiled)  # this run's copy: its tables go when the run ends
        environments = {name: connection_environment(c) for name, c in clients.connections.items()}
        environment = environments[spec.write_connection]
        # The root of request bodies is the main object's name: FiEntries takes {"FiEntryPar": ...}.
        root = (check.update_meta.name if check.update_meta else "") or spec.update.connector
        responder = None
        if spec.respond is not None and spec.respond_connection is not None:
            target, answering = spec.respond.update, clients[spec.respond_connection]
            respond_meta = await answering.update_connector_meta(target.connector)
            responder = Responder(
                client=answering,
                connector=target.connector,
                root=respond_meta.name or target.connector,
                action=target.action,
                object_name=target.object,
                environment=environments[spec.respond_connection],
                connection=spec.respond_connection,
                meta=respond_meta,
            )
        store = ErrorStore()
        async with AsyncExitStack() as files, store:
            opened = None
            if spec.input is not None and upload is not None:
                opened = await _open_upload(UploadFile(spec.input, upload, row_fields(spec)))
            if opened is not None:
                files.push_async_callback(asyncio.to_thread, opened.close)
            guard = await _run_once_guard(store, spec, environment, flow_run_id) if spec.unique else None
            consent = await store.consent(spec.tenant)
            retries = await store.retries(spec.stkkr, environment) if retry else None
            recorder = ErrorRecorder(
                store=store,
                stkkr=spec.stkkr,
                tenant=spec.tenant,
                flow_run_id=flow_run_id,
                compiled=compiled,
                connector=root,
                on_error=spec.on_error,
                max_errors=spec.max_errors,
                consent=consent,
                dry_run=dry_run,
                names=check.names,
                environment=environment,
                target=WriteTarget(spec.update.connector, spec.update.object, spec.write_connection),
                retry=retries,
            )
            scope = None
            if retries is not None:
                scope = RetryScope(
                    retries=retries,
                    open_errors=await retries.open_errors(retry_since),
                    secret=await aget_fingerprint_key(),
                    stkkr=spec.stkkr,
                    compiled=compiled,
                )
            pager = (
                client.pager(
                    spec.get.connector,
                    order_by=spec.get.order_by,
                    where=compiled.where() or None,
                    page_size=spec.get.page_size,
                    unique_order=spec.get.order_by_unique,
                )
                if spec.get is not None
                else None
            )
            yield RunContext(
                stkkr=spec.stkkr,
                compiled=compiled,
                client=writer,
                pager=pager,
                upload=opened,
                recorder=recorder,
                get_connector=spec.source,
                connector=spec.update.connector,
                object_name=spec.update.object,
                dry_run=dry_run,
                guard=guard,
                limit=limit,
                grouper=Grouper(spec.max_group_rows) if spec.group_by else None,
                body_root=root,
                batch=spec.update.batch,
                on_warning=on_warning,
                responder=responder,
                retry=scope,
                update_meta=check.update_meta,
            )
            if guard is not None:  # settlements queued after the last page (keys found of unknown outcome)
                await guard.flush()


def _check_source(spec: StkkrSpec, upload: str | None) -> None:
    """A stkkr with `input:` needs its file; one with `get:` takes none.

    Raises:
        RunAborted: The file is missing, or given to a stkkr that reads a GetConnector.
    """
    if spec.input is not None and upload is None:
        raise RunAborted(
            f"The stkkr {spec.stkkr!r} reads an uploaded {spec.input.format} file, and none was given: "
            "pass it with `stkkr run FILE --input PATH`, `stkkr trigger NAME --input PATH`, "
            "run_stkkr(..., input=PATH) or the deployment parameter `input`"
        )
    if spec.input is None and upload is not None:
        raise RunAborted(f"The stkkr {spec.stkkr!r} reads a GetConnector; it takes no input file")


async def _open_upload(upload: UploadFile) -> UploadFile:
    """Open the uploaded file in a thread and check its header against the columns the stkkr reads.

    Raises:
        RunAborted: It cannot be opened, or its header lacks a column (the message names it).
    """
    try:
        return await asyncio.to_thread(upload.__enter__)
    except UploadError as exc:
        raise RunAborted(f"The uploaded file cannot be read; nothing was sent: {exc}") from None


class _Clients(dict[str, "AfasClient"]):
    """Open clients by connection name, with the connection blocks they came from."""

    def __init__(self) -> None:
        super().__init__()
        self.connections: dict[str, ConnectionBlock] = {}


@asynccontextmanager
async def open_clients(
    names: list[str], *, flow_run_id: str | None = None, on_wait: Callable[[str], None] | None = None
) -> AsyncIterator[_Clients]:
    """Load each connection block, take its AFAS environment's slots, open its client; all end afterwards.

    Each connection gets its own client, so requests in flight (8) and retries go per AFAS environment. The
    slots of each environment are taken once (the lowest `max_concurrency` of its connections), in the
    order of their names, so that two runs needing the same two environments never wait for each other.

    Raises:
        RunAborted: A block is missing or unusable (the message names it and says how to set it).
    """
    clients = _Clients()
    async with AsyncExitStack() as stack:
        made: dict[str, AfasClient] = {}
        for name in names:
            connection = await load_connection(name)
            try:
                made[name] = connection.get_client()
            except AfasError as exc:
                raise RunAborted(f"The AFAS connection {name!r} is not usable: {exc}") from None
            clients.connections[name] = connection
        limits: dict[str, int] = {}
        for connection in clients.connections.values():
            environment = connection_environment(connection)
            limits[environment] = min(
                limits.get(environment, connection.max_concurrency), connection.max_concurrency
            )
        for environment in sorted(limits):
            slots = environment_slots(
                environment, limits[environment], flow_run_id=flow_run_id, on_wait=on_wait
            )
            await stack.enter_async_context(slots)
        for name, client in made.items():
            clients[name] = await stack.enter_async_context(client)
        yield clients


def refuse_local_database(work_pool: str | None) -> None:
    """Refuse a work-pool run whose stkkr database is SQLite: each worker would keep its own file.

    A shared database is what lets the nightly prune clean every worker's records and the run-once guard
    see a `unique` key written on another worker. `stkkr serve` (no work pool) may keep SQLite.

    Raises:
        RunAborted: `work_pool` is set and the stkkr database is SQLite.
    """
    if not work_pool:
        return
    try:
        url = normalise_url(default_database_url())
    except StoreConfigError:
        return  # opening the store says what is wrong with the URL
    if url.get_backend_name() == "sqlite":
        raise RunAborted(
            f"This run comes from the work pool {work_pool!r}, whose workers must share one stkkr database, "
            "but this worker's stkkr database is a local SQLite file. Set STKKR_DATABASE_URL to the shared "
            "PostgreSQL database on every worker (e.g. postgresql://stkkr@db-host/stkkr); nothing was sent."
        )


def connection_environment(connection: ConnectionBlock) -> str:
    """The AFAS environment a connection writes to, as run-once keys and error records name it."""
    return environment_scope(connection.environment, connection.environment_type, connection.base_url)


async def _run_once_guard(
    store: ErrorStore, spec: StkkrSpec, environment: str, flow_run_id: str
) -> RunOnceGuard:
    """The run-once guard of a stkkr with `unique`, after checking that the fingerprint key is the known one.

    Raises:
        RunAborted: The fingerprint key differs from the one the stkkr database was used with; the message
            says how to restore it.
    """
    secret = await aget_fingerprint_key()
    try:
        await store.check_fingerprint_key(secret)
    except FingerprintKeyMismatch as exc:
        raise RunAborted(str(exc)) from None
    keys = store.run_once(spec.stkkr, environment)
    legacy = await keys.start_run()
    return RunOnceGuard(keys, secret=secret, flow_run_id=flow_run_id, legacy=legacy)
