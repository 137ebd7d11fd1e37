"""AfasClient against the simulator over real loopback HTTP."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest

from stkkr_tasks.afas import (
    AfasAuthError,
    AfasClient,
    AfasGatewayError,
    AfasNotFoundError,
    AfasQueryTooLongError,
    AfasTimeoutError,
    AfasTooManyRequestsError,
    AfasValidationError,
    Element,
    Filter,
    RetryPolicy,
)
from stkkr_tasks.afas.filters import MAX_QUERY_LENGTH, build_query
from stkkr_tasks.afas.values import AMSTERDAM
from stkkr_tasks.simulator import Faults

FAST = RetryPolicy(attempts=10, base_delay=0.001, max_delay=0.005, retry_after_cap=0.001)


def client(sim: Any, **kwargs: Any) -> AfasClient:
    """A client of the simulator with fast retries."""
    return AfasClient(sim.token, base_url=sim.base_url, **{"retry": FAST, **kwargs})


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll until the simulator's log shows what a test waits for.

    The simulator logs a request after its answer has gone out, so the log can lag the client a little.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the simulator did not log the expected requests in time"
        await anyio.sleep(0.01)


def _requests(sim: Any, method: str) -> list[Any]:
    return [r for r in sim.requests if r.method == method]


@pytest.mark.anyio
async def test_every_row_exactly_once_with_20_percent_503(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=330, seed=3, faults=Faults(unavailable_rate=0.2, retry_after_s=1, seed=11))
    async with client(sim) as afas:
        ids = [
            row["ContactId"]
            async for row in afas.iter_rows("Profit_Contacts", order_by=["ContactId"], page_size=40)
        ]
    assert ids == sorted(row["ContactId"] for row in sim.rows("Profit_Contacts"))
    assert len(ids) == len(set(ids)) == 330
    await wait_for(lambda: [r.status for r in sim.requests].count(200) >= 9)
    statuses = [r.status for r in _requests(sim, "GET")]
    assert statuses.count(503) >= 2
    assert statuses.count(200) == 9  # 8 full pages and one short page, each read once


@pytest.mark.anyio
async def test_reads_are_retried_through_429_502_and_504(make_simulator: Callable[..., Any]) -> None:
    faults = Faults(throttle_rate=0.15, bad_gateway_rate=0.15, gateway_timeout_rate=0.2, seed=5)
    sim = make_simulator(rows=330, seed=3, faults=faults)
    async with client(sim) as afas:
        ids = [
            row["ContactId"]
            async for row in afas.iter_rows("Profit_Contacts", order_by=["ContactId"], page_size=40)
        ]
    assert ids == sorted(row["ContactId"] for row in sim.rows("Profit_Contacts"))
    assert len(ids) == len(set(ids)) == 330
    await wait_for(lambda: [r.status for r in sim.requests].count(200) >= 9)
    statuses = [r.status for r in _requests(sim, "GET")]
    assert {429, 502, 504} <= set(statuses)
    assert statuses.count(200) == 9  # 8 full pages and one short page, each read once


@pytest.mark.parametrize(
    ("advice", "seconds"),
    [
        ("nan", None),
        ("-5", 0.0),
        ("1e999", float("inf")),
        ("9" * 400, float("inf")),
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
        ("Mon, 01 Jan 2001 00:00:00 GMT", 0.0),
        ("soon", None),
    ],
)
@pytest.mark.anyio
async def test_odd_retry_after_is_clamped_never_raised(
    make_simulator: Callable[..., Any], advice: str, seconds: float | None
) -> None:
    sim = make_simulator(rows=10, seed=2, faults=Faults(throttle_rate=1.0, retry_after_text=advice))
    retry = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001, retry_after_cap=0.001)
    async with client(sim, retry=retry) as afas:
        with pytest.raises(AfasTooManyRequestsError) as info:
            await afas.get_page("Profit_Projects", skip=0, take=5, order_by=["ProjectId"])
    assert info.value.retry_after == seconds and info.value.retryable
    await wait_for(lambda: len(sim.requests) >= 2)
    assert [r.status for r in sim.requests] == [429, 429]


@pytest.mark.anyio
async def test_a_put_that_can_insert_sub_objects_is_not_resent_after_504(
    make_simulator: Callable[..., Any],
) -> None:
    sim = make_simulator(rows=10, seed=2, faults=Faults(gateway_timeout_rate=1.0))
    project = sim.rows("Profit_Projects")[0]["ProjectId"]
    address = {"CoId": "NL", "Ad": "Dorpsstraat", "HmNr": 1}
    keyless = Element(keys={"BcCo": "1"}, objects={"KnBasicAddressAdr": [Element(fields=address)]})
    keyed = Element(keys={"BcCo": "1"}, objects={"KnContact": [Element(keys={"CdId": "7"})]})
    retry = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.001)
    outcomes = []
    async with client(sim, retry=retry) as afas:
        for write in (
            afas.update("KnPerson", keyless),  # AFAS would insert the address again: like a POST
            afas.update("KnPerson", keyed),
            afas.update("PtProject", Element(keys={"PrId": project}, fields={"Ds": "x"})),
            afas.insert("PtProject", Element(fields={"Ds": "x"})),
        ):
            with pytest.raises(AfasGatewayError) as info:
                await write
            outcomes.append((info.value.status, info.value.retryable))
    assert outcomes == [(504, False), (504, True), (504, True), (504, False)]
    await wait_for(lambda: len(sim.requests) >= 8)
    assert [r.method for r in sim.requests] == ["PUT"] + ["PUT"] * 3 + ["PUT"] * 3 + ["POST"]


@pytest.mark.anyio
async def test_dropped_get_connections_are_retried(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=120, seed=4, faults=Faults(drop_rate=0.3, seed=5))
    async with client(sim) as afas:
        pages = [page async for page in afas.iter_pages("Profit_OrgPer", order_by=["-BcCo"], page_size=25)]
    codes = [row["BcCo"] for page in pages for row in page]
    assert codes == sorted((row["BcCo"] for row in sim.rows("Profit_OrgPer")), reverse=True)
    await wait_for(lambda: any(r.status == 0 for r in sim.requests))


@pytest.mark.anyio
async def test_rows_are_typed(simulator: Any) -> None:
    raw = {row["ProjectId"]: row for row in simulator.rows("Profit_Projects")}
    async with client(simulator) as afas:
        rows = await afas.get_page("Profit_Projects", skip=0, take=5, order_by=["ProjectId"])
    assert [row["ProjectId"] for row in rows] == sorted(raw)[:5]
    row = rows[0]
    expected = raw[row["ProjectId"]]
    assert isinstance(row["HoursBudget"], Decimal) and row["HoursBudget"] == Decimal(
        str(expected["HoursBudget"])
    )
    assert row["CreateDate"].tzinfo is AMSTERDAM
    assert row["CreateDate"].strftime("%Y-%m-%dT%H:%M:%SZ") == expected["CreateDate"]


@pytest.mark.anyio
async def test_update_then_filter_on_value_with_comma_uses_filterjson(simulator: Any) -> None:
    async with client(simulator) as afas:
        results = await afas.update(
            "PtProject", Element(keys={"PrId": "100002"}, fields={"Ds": "Audit, fase 2"})
        )
        simulator.clear_log()
        rows = await afas.get_page(
            "Profit_Projects",
            skip=0,
            take=10,
            order_by=["ProjectId"],
            where=[[Filter("Description", "=", "Audit, fase 2")]],
        )
    assert isinstance(results, dict)
    assert [row["ProjectId"] for row in rows] == ["100002"]
    await wait_for(lambda: len(_requests(simulator, "GET")) >= 1)
    (request,) = _requests(simulator, "GET")
    assert "filterjson=" in request.query and "filterfieldids" not in request.query


@pytest.mark.anyio
async def test_simple_filter_and_or_groups(simulator: Any) -> None:
    everything = simulator.rows("Profit_Projects")
    group = everything[0]["ProjectGroup"]
    last = max(row["ProjectId"] for row in everything)
    where = [
        [Filter("ProjectGroup", "=", group), Filter("Blocked", "=", False)],
        [Filter("ProjectId", ">=", last)],
    ]
    expected = sorted(
        row["ProjectId"]
        for row in everything
        if (row["ProjectGroup"] == group and row["Blocked"] is False) or row["ProjectId"] >= last
    )
    async with client(simulator) as afas:
        simulator.clear_log()
        ored = [
            r["ProjectId"]
            async for r in afas.iter_rows("Profit_Projects", order_by=["ProjectId"], where=where)
        ]
        anded = await afas.get_page(
            "Profit_Projects", skip=0, take=500, order_by=["ProjectId"], where=where[:1]
        )
    assert ored == expected and last in ored and 1 < len(ored) < len(everything)
    assert sorted(r["ProjectId"] for r in anded) == [
        r["ProjectId"] for r in sorted(everything, key=lambda r: r["ProjectId"])
        if r["ProjectGroup"] == group and r["Blocked"] is False
    ]  # fmt: skip
    await wait_for(lambda: len(simulator.requests) >= 2)
    queries = [r.query for r in simulator.requests]
    assert "filterjson=" in queries[0] and "filterfieldids=ProjectGroup,Blocked" in queries[-1]


@pytest.mark.anyio
async def test_paging_by_a_two_field_key_with_or_groups_reads_each_row_once(simulator: Any) -> None:
    where = [[Filter("Blocked", "=", False)], [Filter("CheckedOut", "=", True)]]
    wanted = [r for r in simulator.rows("Profit_Projects") if not r["Blocked"] or r["CheckedOut"]]
    expected = sorted(wanted, key=lambda r: r["ProjectId"])
    expected = sorted(expected, key=lambda r: r["ProjectGroup"].lower(), reverse=True)
    async with client(simulator) as afas:
        simulator.clear_log()
        pages = [
            page
            async for page in afas.iter_pages(
                "Profit_Projects", order_by=["-ProjectGroup", "ProjectId"], where=where, page_size=7
            )
        ]
    read = [(r["ProjectGroup"], r["ProjectId"]) for page in pages for r in page]
    assert read == [(r["ProjectGroup"], r["ProjectId"]) for r in expected]
    await wait_for(lambda: len(simulator.requests) == len(pages) + (len(read) % 7 == 0))
    assert all("skip=0&" in r.query for r in simulator.requests), "by key, never by count"


@pytest.mark.anyio
async def test_query_length_limit_matches_afas(simulator: Any) -> None:
    base = len(
        build_query(skip=0, take=1, order_by=["ProjectId"], where=[[Filter("Description", "contains", "")]])
    )
    at_limit = [[Filter("Description", "contains", "v" * (MAX_QUERY_LENGTH - base))]]
    over_limit = [[Filter("Description", "contains", "v" * (MAX_QUERY_LENGTH - base + 1))]]
    async with client(simulator) as afas:
        assert (
            await afas.get_page("Profit_Projects", skip=0, take=1, order_by=["ProjectId"], where=at_limit)
            == []
        )
        await wait_for(lambda: len(simulator.requests) >= 1)
        with pytest.raises(AfasQueryTooLongError) as info:
            await afas.get_page("Profit_Projects", skip=0, take=1, order_by=["ProjectId"], where=over_limit)
    assert info.value.length == MAX_QUERY_LENGTH + 1
    assert [len(r.query) for r in simulator.requests] == [MAX_QUERY_LENGTH]


@pytest.mark.anyio
async def test_insert_and_delete_with_escaped_key(simulator: Any) -> None:
    key = "P,1/2 x"
    async with client(simulator) as afas:
        await afas.insert("PtProject", Element(keys={"PrId": key}, fields={"PrGp": "IMPL", "Ds": "Nieuw"}))
        assert key in {row["ProjectId"] for row in simulator.rows("Profit_Projects")}
        await afas.delete("PtProject", {"@PrId": key})
        with pytest.raises(AfasValidationError):
            await afas.delete("PtProject", {"PrId": key})
    deleted = [w for w in simulator.writes if w.method == "DELETE"]
    assert len(deleted) == 1
    assert deleted[0].keys == {"PrId": key}
    assert deleted[0].path.endswith("/@PrId/P,1/2 x")  # the simulator logs the decoded path
    assert key not in {row["ProjectId"] for row in simulator.rows("Profit_Projects")}


@pytest.mark.anyio
async def test_validation_error_is_parsed_and_safe(simulator: Any) -> None:
    marker = "Mrk7734"  # SeNm holds 10 characters
    async with client(simulator) as afas:
        with pytest.raises(AfasValidationError) as info:
            await afas.insert("KnOrganisation", Element(fields={"MatchOga": "6", "SeNm": marker}))
    error = info.value
    assert error.status == 500 and error.method == "POST" and error.connector == "KnOrganisation"
    assert "Nm" in error.external_message and "mandatory" in error.external_message
    assert isinstance(error.error_number, int)
    assert re.fullmatch(r"[0-9A-F]{32}", error.profit_log_reference or "")
    assert not error.retryable and not error.is_lock
    assert error.external_message not in str(error) and marker not in str(error) + repr(error)
    await wait_for(lambda: len(_requests(simulator, "POST")) >= 1)
    assert len(_requests(simulator, "POST")) == 1


@pytest.mark.anyio
async def test_wrong_token_gives_auth_error_without_token(simulator: Any) -> None:
    data = "0123456789ABCDEF" * 4
    wrong = f"<token><version>1</version><data>{data}</data></token>"
    afas = AfasClient(wrong, base_url=simulator.base_url, retry=FAST)
    with pytest.raises(AfasAuthError) as info:
        await afas.profit_version()
    await afas.aclose()
    text = str(info.value) + repr(info.value) + repr(afas)
    for secret in (data, wrong, base64.b64encode(wrong.encode()).decode()):
        assert secret not in text
    assert info.value.status == 401 and not info.value.retryable
    await wait_for(lambda: len(simulator.requests) >= 1)
    assert len(simulator.requests) == 1


@pytest.mark.anyio
async def test_post_is_not_resent_after_timeout(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=10, seed=2, faults=Faults(latency_ms=400))
    async with client(sim, timeout=0.1) as afas:
        with pytest.raises(AfasTimeoutError) as info:
            await afas.insert("PtProject", Element(keys={"PrId": "T1"}, fields={"PrGp": "IMPL"}))
    assert info.value.sent is True and not info.value.retryable
    await wait_for(lambda: len(_requests(sim, "POST")) >= 1)
    assert len(_requests(sim, "POST")) == 1


@pytest.mark.anyio
async def test_get_timeout_is_retried(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=10, seed=2, faults=Faults(slow_page_ms=300))
    retry = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.001)
    async with client(sim, timeout=0.1, retry=retry) as afas:
        with pytest.raises(AfasTimeoutError) as info:
            await afas.get_page("Profit_Projects", skip=0, take=5, order_by=["ProjectId"])
        assert info.value.sent is True and info.value.retryable
        sim.faults = Faults()
        await wait_for(lambda: len(_requests(sim, "GET")) >= 3)
        assert len(await afas.get_page("Profit_Projects", skip=0, take=5, order_by=["ProjectId"])) == 5
    await wait_for(lambda: len(_requests(sim, "GET")) >= 4)
    assert len(_requests(sim, "GET")) == 4


@pytest.mark.anyio
async def test_lock_errors_are_retried(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=20, seed=2, faults=Faults(lock_error_rate=0.5, seed=3))
    ids = [row["ProjectId"] for row in sim.rows("Profit_Projects")[:6]]
    async with client(sim) as afas:
        for project_id in ids:
            await afas.update(
                "PtProject", Element(keys={"PrId": project_id}, fields={"Ds": f"Slot {project_id}"})
            )
    await wait_for(lambda: [r.status for r in sim.requests].count(201) >= 6)
    statuses = [r.status for r in _requests(sim, "PUT")]
    assert statuses.count(201) == 6 and statuses.count(500) >= 1
    assert {row["ProjectId"]: row["Description"] for row in sim.rows("Profit_Projects")}[
        ids[0]
    ] == f"Slot {ids[0]}"


@pytest.mark.anyio
async def test_metainfo(simulator: Any) -> None:
    async with client(simulator) as afas:
        assert re.fullmatch(r"\d+\.\d+\.\d+", await afas.profit_version())
        listing = await afas.list_connectors()
        get_meta = await afas.get_connector_meta("Profit_Projects")
        update_meta = await afas.update_connector_meta("KnOrganisation")
        with pytest.raises(AfasValidationError):
            await afas.get_connector_meta("Profit_Nope")
    assert {"Profit_Contacts", "Profit_OrgPer", "Profit_Projects"} <= {c.id for c in listing.get_connectors}
    assert {"KnPerson", "KnOrganisation", "KnContact", "PtProject"} <= {
        c.id for c in listing.update_connectors
    }
    budget, name, key = get_meta.field("HoursBudget"), update_meta.field("Nm"), update_meta.field("BcCo")
    assert get_meta.field("ProjectId") is not None and budget is not None and budget.data_type == "decimal"
    assert name is not None and name.mandatory and key is not None and key.primary_key
    address = update_meta.object("KnBasicAddressAdr")
    assert address is not None and address.field("CoId") is not None


@pytest.mark.anyio
async def test_unknown_path_is_not_found(simulator: Any) -> None:
    async with AfasClient(
        simulator.token, base_url=simulator.base_url.rsplit("/", 1)[0] + "/Elsewhere"
    ) as afas:
        with pytest.raises(AfasNotFoundError):
            await afas.profit_version()


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP transport that records how many requests were in flight at once."""

    def __init__(self, counter: dict[str, int]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._counter = counter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._counter["now"] += 1
        self._counter["max"] = max(self._counter["max"], self._counter["now"])
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self._counter["now"] -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.anyio
async def test_in_flight_limit_is_shared_per_base_url(make_simulator: Callable[..., Any]) -> None:
    sim = make_simulator(rows=10, seed=2, faults=Faults(latency_ms=50))
    counter = {"now": 0, "max": 0}
    first = client(sim, max_in_flight=2, transport=CountingTransport(counter))
    second = client(sim, max_in_flight=2, transport=CountingTransport(counter))
    async with first, second, anyio.create_task_group() as group:
        for afas in (first, second, first, second, first, second):
            group.start_soon(afas.profit_version)
    assert counter["max"] == 2
    await wait_for(lambda: len(sim.requests) >= 6)
    assert len(sim.requests) == 6
