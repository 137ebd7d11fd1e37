"""Narrow error-mapping and retry cases over httpx.MockTransport (the simulator covers the wire)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stkkr_tasks.afas import (
    AfasAuthError,
    AfasBadRequestError,
    AfasClient,
    AfasConnectError,
    AfasForbiddenError,
    AfasGatewayError,
    AfasNotFoundError,
    AfasPayloadTooLargeError,
    AfasResponseError,
    AfasServerError,
    AfasTimeoutError,
    AfasTransportError,
    AfasUnavailableError,
    AfasUnexpectedResponseError,
    AfasValidationError,
    Element,
    RetryPolicy,
)

TOKEN = "<token><version>1</version><data>" + "F" * 64 + "</data></token>"
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002, retry_after_cap=0.001)
ERROR = {
    "externalMessage": "Waarde 'Piet Jansen' is ongeldig",
    "errorNumber": -2147220469,
    "profitLogReference": "B8213AF1C3C54E579686406A8DE71C6C",
}


def _client(handler: Callable[[httpx.Request], httpx.Response], retry: RetryPolicy = FAST) -> AfasClient:
    return AfasClient(
        TOKEN,
        base_url="https://afas.invalid/ProfitRestServices",
        retry=retry,
        transport=httpx.MockTransport(handler),
    )


def _answer(status: int, body: bytes = b"", **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=body, headers=headers)


@pytest.mark.anyio
async def test_validation_error_parsed_from_json_labelled_as_xml() -> None:
    handler = _answer(500, json.dumps(ERROR).encode(), **{"Content-Type": "text/xml; charset=utf-8"})
    async with _client(handler) as afas:
        with pytest.raises(AfasValidationError) as info:
            await afas.insert("KnPerson", Element(fields={"Nm": "Piet Jansen"}))
    error = info.value
    assert (error.status, error.method, error.connector) == (500, "POST", "KnPerson")
    assert error.external_message == ERROR["externalMessage"]
    assert error.error_number == -2147220469
    assert error.profit_log_reference == "B8213AF1C3C54E579686406A8DE71C6C"
    assert not error.is_lock and not error.retryable
    assert "Piet" not in str(error) and "Piet" not in repr(error)
    assert "B8213AF1C3C54E579686406A8DE71C6C" in str(error)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, b"", AfasBadRequestError),
        (401, b"<xml/>", AfasAuthError),
        (403, b"", AfasForbiddenError),
        (404, b"", AfasNotFoundError),
        (413, b"", AfasPayloadTooLargeError),
        (500, b"<html>oops</html>", AfasServerError),
        (502, b"", AfasGatewayError),
        (504, b"<html>Gateway Timeout</html>", AfasGatewayError),
        (500, b'{"message": "Invalid json"}', AfasServerError),
        (409, b"", AfasResponseError),
    ],
)
@pytest.mark.anyio
async def test_status_maps_to_exception(status: int, body: bytes, kind: type[AfasResponseError]) -> None:
    async with _client(_answer(status, body)) as afas:
        with pytest.raises(AfasResponseError) as info:
            await afas.delete("KnPerson", {"BcCo": "secret-key-42"})
    assert type(info.value) is kind
    assert info.value.status == status and not info.value.retryable
    assert "secret-key-42" not in str(info.value) and "afas.invalid" not in str(info.value)


@pytest.mark.anyio
async def test_503_retried_with_retry_after_then_succeeds() -> None:
    answers = iter(
        [httpx.Response(503, headers={"Retry-After": "7200"}), httpx.Response(200, json={"version": "1"})]
    )
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return next(answers)

    async with _client(handler) as afas:
        assert await afas.profit_version() == "1"
    assert len(requests) == 2


@pytest.mark.anyio
async def test_503_gives_up_after_attempts_with_retry_after_from_body() -> None:
    body = json.dumps({"error": {"code": 503, "message": "maintenance"}, "retry_after": 7200}).encode()
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, content=body)

    async with _client(handler) as afas:
        with pytest.raises(AfasUnavailableError) as info:
            await afas.profit_version()
    assert info.value.retry_after == 7200 and info.value.retryable
    assert len(calls) == FAST.attempts


@pytest.mark.parametrize(
    ("method", "error", "kind", "sent", "attempts"),
    [
        ("GET", httpx.ReadTimeout("t"), AfasTimeoutError, True, 3),
        ("PUT", httpx.ReadTimeout("t"), AfasTimeoutError, True, 3),
        ("POST", httpx.ReadTimeout("t"), AfasTimeoutError, True, 1),
        ("DELETE", httpx.ReadTimeout("t"), AfasTimeoutError, True, 1),
        ("POST", httpx.ConnectTimeout("t"), AfasTimeoutError, False, 3),
        ("POST", httpx.ConnectError("refused http://afas.invalid/x"), AfasConnectError, None, 3),
        ("POST", httpx.RemoteProtocolError("dropped"), AfasTransportError, None, 1),
        ("GET", httpx.ReadError("reset"), AfasTransportError, None, 3),
    ],
)
@pytest.mark.anyio
async def test_transport_errors_retry_only_when_safe(
    method: str, error: Exception, kind: type, sent: bool | None, attempts: int
) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise error

    async with _client(handler) as afas:
        call = {
            "GET": lambda: afas.profit_version(),
            "PUT": lambda: afas.update("KnPerson", Element(keys={"BcCo": 1})),
            "POST": lambda: afas.insert("KnPerson", Element()),
            "DELETE": lambda: afas.delete("KnPerson", {"BcCo": "x"}),
        }[method]
        with pytest.raises(kind) as info:
            await call()
    assert type(info.value) is kind
    assert calls == [method] * attempts
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "afas.invalid" not in str(info.value)
    if sent is not None:
        assert getattr(info.value, "sent", None) is sent


@pytest.mark.anyio
async def test_lock_error_retried_even_for_post() -> None:
    lock = {**ERROR, "externalMessage": "Record is vergrendeld door een andere gebruiker"}
    answers = iter(
        [httpx.Response(500, json=lock), httpx.Response(201, json={"results": {"KnPerson": {"BcCo": "9"}}})]
    )
    async with _client(lambda request: next(answers)) as afas:
        assert await afas.insert("KnPerson", Element()) == {"KnPerson": {"BcCo": "9"}}


@pytest.mark.parametrize(
    ("status", "body"), [(201, b""), (200, b""), (201, b'{"results": null}'), (204, b"")]
)
@pytest.mark.anyio
async def test_update_without_results_body_returns_empty_dict(status: int, body: bytes) -> None:
    async with _client(_answer(status, body)) as afas:
        assert await afas.update("KnPerson", Element(keys={"BcCo": "1"})) == {}


@pytest.mark.anyio
async def test_request_headers_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"results": {}})

    afas = AfasClient(
        TOKEN,
        base_url="https://afas.invalid/ProfitRestServices/",
        integration_id="12345_678900",
        language="nl-nl",
        transport=httpx.MockTransport(handler),
    )
    await afas.insert("KnPerson", Element(fields={"Nm": "é"}))
    await afas.aclose()
    request = seen[0]
    assert str(request.url) == "https://afas.invalid/ProfitRestServices/connectors/KnPerson"
    assert request.headers["IntegrationId"] == "12345_678900"
    assert request.headers["Accept-Language"] == "nl-nl"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"
    assert request.headers["Authorization"].startswith("AfasToken ")
    assert "close" not in request.headers.get("Connection", "").lower()
    assert json.loads(request.content) == {"KnPerson": {"Element": {"Fields": {"Nm": "é"}}}}
    with pytest.raises(RuntimeError, match="closed"):
        await afas.profit_version()


@pytest.mark.anyio
async def test_page_without_rows_is_unexpected() -> None:
    async with _client(_answer(200, b'{"skip": 0, "take": 1}')) as afas:
        with pytest.raises(AfasUnexpectedResponseError):
            await afas.get_page("Profit_X", skip=0, take=1, order_by=["Id"])


@pytest.mark.anyio
async def test_metainfo_falls_back_to_documented_case() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if "/metainfo" in request.url.path:
            return httpx.Response(404)
        return httpx.Response(200, json={"getConnectors": [{"id": "G", "description": "g"}]})

    async with _client(handler) as afas:
        listing = await afas.list_connectors()
    assert [c.id for c in listing.get_connectors] == ["G"]
    assert paths == ["/ProfitRestServices/metainfo", "/ProfitRestServices/MetaInfo"]


def test_client_repr_hides_token() -> None:
    afas = _client(_answer(200))
    assert "F" * 64 not in repr(afas) and "AfasToken" not in repr(afas)
    assert afas.base_url == "https://afas.invalid/ProfitRestServices"


@pytest.mark.parametrize(
    ("header", "body", "seconds"),
    [
        ("nan", {"retry_after": 10**400}, float("inf")),  # float(10**400) overflows: clamped, not raised
        ("", {"retry_after": "-3"}, 0.0),
        ("", {"retry_after": True}, None),
        ("inf", {}, float("inf")),
    ],
)
@pytest.mark.anyio
async def test_retry_after_advice_never_raises(
    header: str, body: dict[str, Any], seconds: float | None
) -> None:
    headers = {"Retry-After": header} if header else {}
    async with _client(lambda request: httpx.Response(503, headers=headers, json=body)) as afas:
        with pytest.raises(AfasUnavailableError) as info:
            await afas.profit_version()
    assert info.value.retry_after == seconds


def test_retry_policy_backs_off_when_the_advice_is_not_a_number() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=1.0, retry_after_cap=60.0)
    assert 0.5 <= policy.delay(1, float("nan")) <= 1.0
    assert policy.delay(1, float("inf")) == 60.0 and policy.delay(1, -1.0) == 0.0
