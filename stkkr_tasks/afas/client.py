"""`AfasClient`: async access to AFAS Profit's REST API (GetConnectors, UpdateConnectors, metainfo)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from enum import Enum
from functools import partial
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from stkkr_tasks.afas.auth import AfasTokenAuth
from stkkr_tasks.afas.elements import Element, elements_body
from stkkr_tasks.afas.exceptions import AfasError, AfasNotFoundError, AfasUnexpectedResponseError
from stkkr_tasks.afas.filters import Where, and_where, build_query
from stkkr_tasks.afas.limits import DEFAULT_MAX_IN_FLIGHT, in_flight_limiter
from stkkr_tasks.afas.mapping import error_from_response, error_from_transport, parse_body
from stkkr_tasks.afas.models import ConnectorList, GetConnectorMeta, UpdateConnectorMeta
from stkkr_tasks.afas.paging import Pager
from stkkr_tasks.afas.retry import RetryPolicy, may_resend
from stkkr_tasks.afas.urls import connector_path, delete_path, resolve_base_url
from stkkr_tasks.afas.values import decode_row, dumps_json

__all__ = ["AfasClient"]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)


class _State(Enum):
    OPEN = "open"
    CLOSED = "closed"


class AfasClient:
    """Async client of one AFAS Profit environment.

    One pooled `httpx.AsyncClient` with keep-alive carries every request. Retryable failures (429 and 503,
    honouring `Retry-After`; requests never sent; lock errors; timeouts, dropped connections, 502 and 504 of
    GET and of a PUT that cannot insert) are retried with backoff; a POST, a DELETE, or a PUT whose
    sub-objects have no keys (AFAS inserts those) is not re-sent when its outcome is unknown. At most
    `max_in_flight` requests per base URL are in flight at once, shared by all clients of that base URL in
    the event loop.

    Creating a client changes no logging. Page URLs past the first and DELETE URLs carry row keys, and
    httpx logs every URL at INFO: call `stkkr_tasks.afas.httpx_log.hide_row_values()` once where logging
    is set up (the `stkkr` command and every stkkr run do).

    Example:
        >>> async with AfasClient(token, environment=12345, environment_type="test") as afas:
        ...     async for row in afas.iter_rows("Profit_Projects", order_by=["ProjectId"]):
        ...         ...
    """

    def __init__(
        self,
        token: str,
        *,
        environment: str | int | None = None,
        environment_type: str = "production",
        base_url: str | None = None,
        allow_insecure_http: bool = False,
        integration_id: str | None = None,
        language: str | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Configure the client; no request is sent yet.

        Args:
            token: The full `<token><version>1</version><data>…</data></token>` XML or its data part.
            environment: The environment number, e.g. `12345`.
            environment_type: `production`, `test` or `accept`.
            base_url: An explicit base URL (simulator, proxy), e.g. `http://127.0.0.1:8000/ProfitRestServices`;
                it wins over `environment`. `http://` is refused unless it goes to this machine (the
                simulator) or `allow_insecure_http` is set: the token travels in every request.
            allow_insecure_http: Accept an `http://` base URL to another machine (a trusted proxy).
            integration_id: The partner `IntegrationId` header (`<subscription>_<project>`), if any.
            language: The `Accept-Language` of labels and messages (`nl-nl`, `en-us`, …), if any.
            max_in_flight: Requests in flight at once per base URL (AFAS allows 8).
            timeout: Seconds to wait for connecting, sending and each read.
            retry: How often and how long to retry; `RetryPolicy()` when None.
            transport: An httpx transport (tests, proxies); httpx's default when None.

        Raises:
            AfasConfigError: On a malformed token, environment, environment type or base URL, or an
                `http://` base URL to another machine without `allow_insecure_http`.
            ValueError: When `max_in_flight` is below 1 or `timeout` is not positive.
        """
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._base_url = resolve_base_url(
            environment, environment_type, base_url, allow_insecure_http=allow_insecure_http
        )
        headers = {"Accept": "application/json"}
        if integration_id:
            headers["IntegrationId"] = integration_id
        if language:
            headers["Accept-Language"] = language
        self._max_in_flight = max_in_flight
        self._retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=AfasTokenAuth(token),
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight),
            transport=transport,
        )
        self._state = _State.OPEN
        self._write_urls: dict[str, httpx.URL] = {}

    @property
    def base_url(self) -> str:
        """The base URL requests go to, e.g. `https://12345.rest.afas.online/ProfitRestServices`."""
        return self._base_url

    def __repr__(self) -> str:
        return f"AfasClient(base_url={self._base_url!r})"

    async def __aenter__(self) -> Self:
        if self._state is _State.CLOSED:
            raise RuntimeError("this AfasClient is closed; create a new one")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._state = _State.CLOSED
        await self._http.aclose()

    # -- the one request method ------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str | httpx.URL,
        *,
        connector: str | None = None,
        query: str | None = None,
        body: Any = None,
        resendable: bool | None = None,
    ) -> httpx.Response:
        """Send a request with retries; return the successful answer or raise an `AfasError`.

        `resendable` says whether the request may be sent again when its outcome is unknown (by its method
        when None; see `retry.may_resend`). `path` is relative to the base URL, or a whole URL (`_write_url`).
        """
        if self._state is _State.CLOSED:
            raise RuntimeError("this AfasClient is closed; create a new one")
        url = f"{path}?{query}" if query else path
        content = dumps_json(body) if body is not None else None
        headers = {"Content-Type": "application/json;charset=utf-8"} if content is not None else None
        attempt = 1
        while True:
            try:
                return await self._send_once(method, url, connector, content, headers, resendable)
            except AfasError as exc:
                if not exc.retryable or attempt >= self._retry.attempts:
                    raise
                wait = self._retry.delay(attempt, getattr(exc, "retry_after", None))
                logger.info(
                    "Retrying %s %s in %.2fs after %s (attempt %d of %d)",
                    method, connector or "AFAS", wait, type(exc).__name__, attempt + 1, self._retry.attempts,
                )  # fmt: skip
                await anyio.sleep(wait)
                attempt += 1

    async def _send_once(
        self,
        method: str,
        url: str | httpx.URL,
        connector: str | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        resendable: bool | None,
    ) -> httpx.Response:
        limiter = in_flight_limiter(self._base_url, self._max_in_flight)
        borrower = object()
        await limiter.acquire_on_behalf_of(borrower)
        try:
            response = await self._http.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, method, connector, resendable=resendable) from None
        finally:
            limiter.release_on_behalf_of(borrower)
        if response.status_code >= 300:
            raise error_from_response(response, method, connector, resendable=resendable)
        return response

    async def _get_json(self, path: str, connector: str | None = None, query: str | None = None) -> Any:
        response = await self._request("GET", path, connector=connector, query=query)
        body = parse_body(response.content)
        if body is None:
            raise AfasUnexpectedResponseError(response.status_code, "GET", connector)
        return body

    async def _get_model(self, model: type[_M], paths: Sequence[str], connector: str | None) -> _M:
        """GET the first of `paths` that exists (AFAS documents `/MetaInfo`, clients use `/metainfo`)."""
        for index, path in enumerate(paths):
            try:
                body = await self._get_json(path, connector)
                break
            except AfasNotFoundError:
                if index == len(paths) - 1:
                    raise
        try:
            return model.model_validate(body)
        except ValidationError:
            raise AfasUnexpectedResponseError(200, "GET", connector) from None

    # -- information ----------------------------------------------------------------------------------

    async def profit_version(self) -> str:
        """Return the Profit version of the environment, e.g. `"22.22.5"` (a cheap token check)."""
        body = await self._get_json("/ProfitVersion")
        if not isinstance(body, dict) or "version" not in body:
            raise AfasUnexpectedResponseError(200, "GET", None)
        return str(body["version"])

    async def list_connectors(self) -> ConnectorList:
        """Return the Get- and UpdateConnectors the token may use."""
        return await self._get_model(ConnectorList, ("/metainfo", "/MetaInfo"), None)

    async def get_connector_meta(self, connector_id: str) -> GetConnectorMeta:
        """Return the fields of a GetConnector."""
        paths = (f"/metainfo/get/{connector_id}", f"/MetaInfo/get/{connector_id}")
        return await self._get_model(GetConnectorMeta, paths, connector_id)

    async def update_connector_meta(self, connector_id: str) -> UpdateConnectorMeta:
        """Return the fields and nested objects of an UpdateConnector."""
        paths = (f"/metainfo/update/{connector_id}", f"/MetaInfo/update/{connector_id}")
        return await self._get_model(UpdateConnectorMeta, paths, connector_id)

    # -- reading --------------------------------------------------------------------------------------

    async def get_page(
        self,
        connector_id: str,
        *,
        skip: int,
        take: int,
        order_by: Sequence[str],
        where: Where | None = None,
    ) -> list[dict[str, Any]]:
        """Read one page of a GetConnector.

        Args:
            connector_id: The GetConnector id.
            skip: Rows to skip.
            take: Rows to return at most.
            order_by: Field ids to order on (a leading `-` for descending); use a unique key.
            where: AND-groups of filters, OR-ed together.

        Returns:
            The rows; timestamps as Europe/Amsterdam datetimes, non-integer numbers as `Decimal`.

        Raises:
            AfasQueryTooLongError: When the query exceeds 2049 characters (nothing is sent).
            AfasError: When AFAS cannot be reached or refuses the request.
        """
        query = build_query(skip=skip, take=take, order_by=order_by, where=where)
        body = await self._get_json(connector_path(connector_id), connector_id, query)
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise AfasUnexpectedResponseError(200, "GET", connector_id)
        return [decode_row(row) for row in rows]

    def pager(
        self,
        connector_id: str,
        *,
        order_by: Sequence[str],
        where: Where | None = None,
        page_size: int = 500,
        unique_order: bool = True,
    ) -> Pager:
        """Return a `Pager` reading all rows of a GetConnector, `page_size` rows per page.

        `order_by` must be a unique key (ties raise `AfasPagingError`) unless `unique_order` is False.

        Past the first page the request URLs hold the last row's key (see the class docstring on logging).
        """
        fetch = partial(self._fetch, connector_id, order_by, where)
        return Pager(fetch, order_by=order_by, page_size=page_size, unique_order=unique_order)

    async def _fetch(
        self,
        connector_id: str,
        order_by: Sequence[str],
        where: Where | None,
        skip: int,
        take: int,
        after: Where | None,
    ) -> list[dict[str, Any]]:
        return await self.get_page(
            connector_id, skip=skip, take=take, order_by=order_by, where=and_where(where, after)
        )

    async def iter_pages(
        self, connector_id: str, *, order_by: Sequence[str], where: Where | None = None, page_size: int = 500
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield all rows of a GetConnector page by page (see `pager`)."""
        pager = self.pager(connector_id, order_by=order_by, where=where, page_size=page_size)
        while (page := await pager.next_page()) is not None:
            yield page

    async def iter_rows(
        self, connector_id: str, *, order_by: Sequence[str], where: Where | None = None, page_size: int = 500
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield all rows of a GetConnector one by one (see `pager`)."""
        async for page in self.iter_pages(connector_id, order_by=order_by, where=where, page_size=page_size):
            for row in page:
                yield row

    # -- writing --------------------------------------------------------------------------------------

    async def _write(
        self, method: str, connector_id: str, element: Element | Sequence[Element], root: str | None = None
    ) -> dict[str, Any]:
        name = root or connector_id
        elements = [element] if isinstance(element, Element) else list(element)
        body = element.to_body(name) if isinstance(element, Element) else elements_body(name, elements)
        response = await self._request(
            method,
            self._write_url(connector_id),
            connector=connector_id,
            body=body,
            resendable=may_resend(method, inserts=any(item.has_keyless_objects() for item in elements)),
        )
        return _results(response)

    def _write_url(self, connector_id: str) -> httpx.URL:
        """The whole URL of an UpdateConnector, built once: httpx would parse the relative path again for
        every write, which costs more than the rest of preparing the request (bench/RESULTS.md,
        2026-12-06)."""
        url = self._write_urls.get(connector_id)
        if url is None:
            url = self._write_urls[connector_id] = self._http.build_request(
                "PUT", connector_path(connector_id)
            ).url
        return url

    async def insert(self, connector_id: str, element: Element, *, root: str | None = None) -> dict[str, Any]:
        """Insert a record (POST).

        Args:
            connector_id: The UpdateConnector id.
            element: The record.
            root: The body's root object when it is not named after the connector (`FiEntryPar` for
                FiEntries: the `name` of `update_connector_meta`).

        Returns:
            AFAS's `results`, e.g. `{"KnSubject": {"SbId": "999"}}`; `{}` when the answer has none.

        Raises:
            AfasError: When AFAS refuses the record (`AfasValidationError`) or the outcome is unknown
                (`AfasTimeoutError` with `sent=True`, `AfasTransportError`); such a POST is not re-sent.
        """
        return await self._write("POST", connector_id, element, root)

    async def update(self, connector_id: str, element: Element, *, root: str | None = None) -> dict[str, Any]:
        """Update a record (PUT); the element must hold its key fields (`root` as for `insert`).

        A PUT whose outcome is unknown (timeout, dropped connection, 502, 504) is sent again, unless a
        sub-object (at any depth) has no key fields: AFAS inserts those, so it is treated like a POST.

        Returns:
            AFAS's `results`, or `{}` when the answer has no body (AFAS sometimes sends none).
        """
        return await self._write("PUT", connector_id, element, root)

    async def insert_many(
        self, connector_id: str, elements: Sequence[Element], *, root: str | None = None
    ) -> dict[str, Any]:
        """Insert several records in one request (POST with `"Element": [...]`), all or nothing.

        AFAS handles the message as one transaction: when it refuses one element, none is written. Whether a
        connector accepts several top-level elements is not documented by AFAS; try it on a test environment.

        Raises:
            AfasError: As `insert`; a refusal (`AfasValidationError`) means no element was written.
        """
        return await self._write("POST", connector_id, elements, root)

    async def update_many(
        self, connector_id: str, elements: Sequence[Element], *, root: str | None = None
    ) -> dict[str, Any]:
        """Update several records in one request (PUT with `"Element": [...]`), all or nothing (see
        `insert_many`)."""
        return await self._write("PUT", connector_id, elements, root)

    async def send_body(self, method: Literal["POST", "PUT"], connector_id: str, body: Any) -> dict[str, Any]:
        """Send a request body as it is (a stored payload, perhaps edited by hand), never re-sent blindly.

        Args:
            method: POST (insert) or PUT (update).
            connector_id: The UpdateConnector id.
            body: The JSON body, e.g. `{"KnSubject": {"Element": {...}}}`.

        Returns:
            AFAS's `results`, or `{}` when the answer has none.

        Raises:
            AfasError: As `insert`; when the outcome is unknown the body is not sent again.
        """
        response = await self._request(
            method, self._write_url(connector_id), connector=connector_id, body=body, resendable=False
        )
        return _results(response)

    async def delete(
        self, connector_id: str, keys: Mapping[str, Any], object_name: str | None = None
    ) -> None:
        """Delete a record: `DELETE /connectors/{C}/{object_name or C}/@K1,@K2/v1,v2`.

        Args:
            connector_id: The UpdateConnector id.
            keys: Key field ids (with or without `@`) and values, in AFAS's order.
            object_name: The (sub-)object to delete; the connector's main object when None.
        """
        await self._request("DELETE", delete_path(connector_id, keys, object_name), connector=connector_id)


def _results(response: httpx.Response) -> dict[str, Any]:
    """AFAS's `results` of a write's answer, or `{}` when the answer has none."""
    answer = parse_body(response.content)
    results = answer.get("results") if isinstance(answer, dict) else None
    return results if isinstance(results, dict) else {}
