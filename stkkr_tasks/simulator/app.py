"""The simulator's ASGI app: AFAS Profit REST answers over the state of one simulator."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stkkr_tasks.simulator import ledger, metainfo, writes
from stkkr_tasks.simulator.errors import (
    GET_CONNECTOR_UNKNOWN,
    LOCK_ERROR,
    LOCK_MESSAGE,
    UNEXPECTED_ERROR,
    UPDATE_CONNECTOR_UNKNOWN,
    AfasFault,
    error_body,
    gateway_page,
    throttled_body,
    unavailable_body,
)
from stkkr_tasks.simulator.faults import Fault
from stkkr_tasks.simulator.query import parse_query
from stkkr_tasks.simulator.refusals import Refusals, afas_formatted, flatten
from stkkr_tasks.simulator.state import RefusedWrite, RequestRecord, SimState, WriteRecord
from stkkr_tasks.simulator.validation import parse_body

PREFIX = "/profitrestservices"
PROFIT_VERSION = "22.22.5"
MAX_QUERY = 2049
_WRITES = frozenset({"POST", "PUT", "DELETE"})
_RAW_SEND = "stkkr.raw_send"
_ARRIVED = "stkkr.arrived"
_GATEWAY_STATUS = {Fault.BAD_GATEWAY: 502, Fault.GATEWAY_TIMEOUT: 504}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(content, status, headers=headers, media_type="application/json; charset=utf-8")


class _Drop(Response):
    """Closes the client's connection without any answer (uvicorn's transport is reached via its `send`)."""

    def __init__(self) -> None:
        super().__init__(status_code=0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get(_RAW_SEND)
        cycle = getattr(raw, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None:
            raise ConnectionAbortedError("simulated dropped connection")
        transport.abort()
        await asyncio.sleep(0)  # let the server notice the lost connection before the app returns


class _AnswerTime:
    """When a request's answer may leave: `latency_ms` after the request arrived, plus the modelled work of a
    page (`slow_page_ms`) or of a write's elements (`element_ms`).

    The simulator does its own work within that time, as AFAS does within its response time, rather than
    adding it: with one event loop serving every connection, the handling of requests that arrive together
    would otherwise stack up on each answer, and no client could come near concurrency / latency.
    """

    def __init__(self, arrived: float, latency_ms: int) -> None:
        self._due = arrived + latency_ms / 1000

    def add(self, ms: int) -> None:
        """Add modelled work of this request."""
        self._due += ms / 1000

    async def wait(self) -> None:
        """Wait until the answer is due (at once when it already is)."""
        delay = self._due - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)


class _Recorder:
    """Outermost ASGI layer: keeps the server's `send` for `_Drop`, logs each request with its status and
    counts the requests in flight."""

    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        scope[_RAW_SEND] = send
        scope[_ARRIVED] = asyncio.get_running_loop().time()
        self.state.request_started()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.state.request_ended()
            query = scope.get("query_string", b"").decode("latin-1")
            self.state.log_request(RequestRecord(scope["method"], scope["path"], query, status))


def build_app(state: SimState) -> ASGIApp:
    """The ASGI app serving `state` under ``/ProfitRestServices`` (any case)."""

    async def endpoint(request: Request) -> Response:
        return await _handle(state, request)

    methods = ["GET", "POST", "PUT", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])
    return _Recorder(app, state)


async def _handle(state: SimState, request: Request) -> Response:
    raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?")[0] or request.url.path
    segments = [s for s in raw_path.split("/") if s]  # still URL-escaped: DELETE key values may hold commas
    if not segments or f"/{segments[0].lower()}" != PREFIX:
        return Response(status_code=404)
    if len(request.scope.get("query_string", b"")) > MAX_QUERY:
        return Response(status_code=404)
    if request.headers.get("authorization") != state.expected_auth:
        return Response(status_code=401)
    answer_time = _AnswerTime(request.scope[_ARRIVED], state.plan.faults.latency_ms)
    response = await _answer(state, request, segments[1:], answer_time)
    await answer_time.wait()
    return response


async def _answer(state: SimState, request: Request, parts: list[str], answer_time: _AnswerTime) -> Response:
    """The answer to an authorised request: a fault drawn for it, or what AFAS answers."""
    faults = state.plan.faults
    fault = state.plan.draw(request.method in _WRITES)
    retry_after = {"Retry-After": faults.retry_after_text or str(faults.retry_after_s)}
    if fault is Fault.UNAVAILABLE:
        return _json(unavailable_body(faults.retry_after_s), 503, headers=retry_after)
    if fault is Fault.THROTTLED:
        return _json(throttled_body(), 429, headers=retry_after)
    if fault is Fault.LOCKED:
        return _json(error_body(LOCK_MESSAGE, LOCK_ERROR), 500)
    if fault is Fault.DROP and request.method not in _WRITES:
        return _Drop()
    try:
        response = await _route(state, request, parts, answer_time)
    except AfasFault as exc:
        response = _json(exc.body(), exc.status)
    if fault in _GATEWAY_STATUS:  # processed by AFAS, but the gateway lost the answer
        return Response(gateway_page(_GATEWAY_STATUS[fault]), _GATEWAY_STATUS[fault], media_type="text/html")
    return _Drop() if fault is Fault.DROP else response


async def _route(state: SimState, request: Request, parts: list[str], answer_time: _AnswerTime) -> Response:
    head = unquote(parts[0]).lower() if parts else ""
    method = request.method
    if method == "GET" and head == "profitversion" and len(parts) == 1:
        return _json({"version": PROFIT_VERSION})
    if method == "GET" and head == "metainfo":
        return _metainfo(state, [unquote(p) for p in parts[1:]])
    if head != "connectors" or len(parts) < 2:
        return Response(status_code=404)
    connector_id = unquote(parts[1])
    if method == "GET" and len(parts) == 2:
        return await _get(state, request, connector_id, answer_time)
    if method in ("POST", "PUT") and len(parts) in (2, 3):
        try:
            return await _write(state, request, connector_id, answer_time, sub_object=len(parts) == 3)
        except AfasFault:
            state.log_refused(RefusedWrite(method, connector_id, await request.body()))
            raise
    if method == "DELETE" and len(parts) == 5:
        return _delete(state, request, connector_id, unquote(parts[2]), parts[3], parts[4])
    return Response(status_code=404)


def _metainfo(state: SimState, parts: list[str]) -> Response:
    catalogue = state.catalogue
    if not parts:
        return _json(metainfo.connector_list(catalogue, "SIMULATOR"))
    kind = parts[0].lower()
    if kind == "get" and len(parts) == 2:
        get = catalogue.get_connectors.get(parts[1])
        if get is None:
            raise AfasFault(GET_CONNECTOR_UNKNOWN, UNEXPECTED_ERROR)
        return _json(metainfo.get_meta(parts[1], get))
    if kind == "update" and len(parts) == 2:
        update = catalogue.update_connectors.get(parts[1])
        if update is None:
            raise AfasFault(UPDATE_CONNECTOR_UNKNOWN)
        return _json(metainfo.update_meta(parts[1], update.root(parts[1]), update.description))
    return Response(status_code=404)


async def _get(state: SimState, request: Request, connector_id: str, answer_time: _AnswerTime) -> Response:
    connector = state.catalogue.get_connectors.get(connector_id)
    if connector is None:
        raise AfasFault(GET_CONNECTOR_UNKNOWN, UNEXPECTED_ERROR)
    query_string = request.scope.get("query_string", b"").decode("latin-1")
    params = {k.lower(): v for k, v in parse_qsl(query_string, keep_blank_values=True)}
    query = parse_query(params, connector)
    if state.read_gate is not None:
        state.read_gate.read()
    rows = await asyncio.to_thread(state.store.page, connector_id, query)
    answer_time.add(state.plan.faults.slow_page_ms)
    return _json({"skip": query.skip, "take": query.take, "rows": rows})


async def _write(
    state: SimState, request: Request, connector_id: str, answer_time: _AnswerTime, sub_object: bool
) -> Response:
    connector = state.catalogue.update_connectors.get(connector_id)
    if connector is None:
        raise AfasFault(UPDATE_CONNECTOR_UNKNOWN)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise AfasFault("The request body is not valid JSON.", status=400) from None
    insert = request.method == "POST" and not sub_object
    root = connector.root(connector_id)
    faults = state.plan.faults
    results: dict[str, Any] = {}
    target = connector.target
    with _worded(state, target.get_connector if target else None, flatten(body)):
        elements = parse_body(connector_id, root, body, insert, arrays=faults.element_arrays)
        if state.read_gate is not None and len(elements) == 1:
            await state.read_gate.hold()
        answer_time.add(faults.element_ms * len(elements))
        if connector.ledger is not None:
            for element in elements:
                ledger.check_entry(connector.ledger, element)
        if target is not None:
            with state.store.lock:
                table = state.store.tables[target.get_connector]
                apply = writes.insert if insert else writes.update
                with table.transaction():  # AFAS processes a message as one transaction
                    for element in elements:
                        results = apply(connector_id, table, target, element)
        elif connector.ledger is not None:
            results = ledger.entry_result(connector.ledger, elements[-1])
    state.log_write(WriteRecord(request.method, connector_id, body, request.url.path, dict(results)))
    return _json({"results": {root.name: results}}, 201)


@contextlib.contextmanager
def _worded(state: SimState, table_id: str | None, values: Iterable[Any]) -> Iterator[None]:
    """In `afas-formatted` mode a refusal inside quotes the values sent and another record, as AFAS does."""
    try:
        yield
    except AfasFault as fault:
        if state.refusals is not Refusals.AFAS_FORMATTED:
            raise
        turn = next(state.refusal_turns)
        message = afas_formatted(fault.message, iter(values), _other_record(state, table_id, turn), turn)
        raise AfasFault(message, fault.error_number, fault.status) from None


def _other_record(state: SimState, table_id: str | None, turn: int) -> dict[str, Any] | None:
    """A row of the write's target table (the `turn`-th, round robin), or None without one."""
    if table_id is None:
        return None
    with state.store.lock:
        rows = state.store.tables[table_id].rows
        if not rows:
            return None
        return dict(next(itertools.islice(rows.values(), turn % len(rows), None)))


def _split_keys(names: str, values: str) -> dict[str, str]:
    keys = [unquote(n).lstrip("@") for n in names.split(",")]
    vals = [unquote(v) for v in values.split(",")]
    if len(keys) != len(vals) or not all(keys):
        raise AfasFault("The key fields and key values of the delete URL do not match.")
    return dict(zip(keys, vals, strict=True))


def _delete(
    state: SimState, request: Request, connector_id: str, obj: str, names: str, values: str
) -> Response:
    connector = state.catalogue.update_connectors.get(connector_id)
    if connector is None:
        raise AfasFault(UPDATE_CONNECTOR_UNKNOWN)
    root = connector.root(connector_id)
    keys = _split_keys(names, values)
    node = root if obj == connector_id else root.object(obj)
    if node is None:
        raise AfasFault(f"Object '{obj}' does not exist in object '{connector_id}'.")
    target = connector.target
    with _worded(state, target.get_connector if target else None, keys.values()):
        writes.check_delete_keys(node, keys)
        if target is not None and node is root:
            with state.store.lock:
                writes.delete(connector_id, state.store.tables[target.get_connector], target, keys)
    state.log_write(WriteRecord("DELETE", connector_id, None, request.url.path, dict(keys)))
    return Response(status_code=200)
