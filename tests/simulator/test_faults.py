"""Faults switched at runtime: latency, 503 with Retry-After, lock errors, dropped connections, slow pages."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from stkkr_tasks.simulator import Faults, Simulator
from stkkr_tasks.simulator.errors import LOCK_ERROR, LOCK_MESSAGE
from tests.simulator.conftest import assert_afas_error

PROJECTS = "/connectors/Profit_Projects"


def _rename(project: str, text: str) -> dict[str, object]:
    return {"PtProject": {"Element": {"@PrId": project, "Fields": {"Ds": text}}}}


def test_unavailable_answers_503_with_retry_after(http: httpx.Client, sim: Simulator) -> None:
    sim.faults = Faults(unavailable_rate=1.0, retry_after_s=7)
    project = sim.rows("Profit_Projects")[0]
    response = http.put("/connectors/PtProject", json=_rename(project["ProjectId"], "nooit"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["retry_after"] == 7 and response.json()["error"]["code"] == "503"
    assert sim.rows("Profit_Projects")[0] == project and sim.writes == []
    sim.faults = Faults()
    assert http.get(PROJECTS).status_code == 200


def test_lock_errors_hit_writes_only_and_write_nothing(http: httpx.Client, sim: Simulator) -> None:
    sim.faults = Faults(lock_error_rate=1.0)
    assert http.get(PROJECTS).status_code == 200
    project = sim.rows("Profit_Projects")[0]
    body = assert_afas_error(
        http.put("/connectors/PtProject", json=_rename(project["ProjectId"], "x")), "locked"
    )
    assert body["externalMessage"] == LOCK_MESSAGE and body["errorNumber"] == LOCK_ERROR
    assert sim.rows("Profit_Projects")[0] == project and sim.writes == []


def test_dropped_read_closes_the_connection_unanswered(http: httpx.Client, sim: Simulator) -> None:
    sim.faults = Faults(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(PROJECTS)
    deadline = time.monotonic() + 10  # the simulator logs a request after its (missing) answer went out
    while not sim.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.requests[-1].status == 0


def test_dropped_write_is_applied_but_unanswered(http: httpx.Client, sim: Simulator) -> None:
    sim.faults = Faults(drop_rate=1.0)
    project = sim.rows("Profit_Projects")[0]["ProjectId"]
    with pytest.raises(httpx.RemoteProtocolError):
        http.put("/connectors/PtProject", json=_rename(project, "toch gedaan"))
    assert sim.rows("Profit_Projects")[0]["Description"] == "toch gedaan"
    assert len(sim.writes) == 1


@pytest.mark.parametrize(
    ("faults", "path"),
    [(Faults(latency_ms=300), "/ProfitVersion"), (Faults(slow_page_ms=300), PROJECTS)],
)
def test_latency_and_slow_pages_delay_answers(
    http: httpx.Client, sim: Simulator, faults: Faults, path: str
) -> None:
    sim.faults = faults
    started = time.monotonic()
    assert http.get(path).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_element_cost_adds_to_the_latency(http: httpx.Client, sim: Simulator) -> None:
    sim.faults = Faults(latency_ms=150, element_ms=100)
    first, second = (row["ProjectId"] for row in sim.rows("Profit_Projects")[:2])
    elements = [{"@PrId": key, "Fields": {"Ds": "later"}} for key in (first, second)]
    started = time.monotonic()
    assert http.put("/connectors/PtProject", json={"PtProject": {"Element": elements}}).status_code == 201
    assert time.monotonic() - started >= 0.35  # 150 ms for the request, 100 ms for each of its two elements


def _statuses(make_simulator: Callable[..., Simulator], seed: int) -> list[int]:
    sim = make_simulator(rows=10, faults=Faults(unavailable_rate=0.5, seed=seed))
    assert sim.base_url is not None
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": sim.auth_header}) as client:
        return [client.get("/ProfitVersion").status_code for _ in range(30)]


def test_faults_are_deterministic_for_their_seed(make_simulator: Callable[..., Simulator]) -> None:
    first = _statuses(make_simulator, seed=7)
    assert first == _statuses(make_simulator, seed=7)
    assert first != _statuses(make_simulator, seed=8)
    assert set(first) == {200, 503}


def test_invalid_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="drop_rate"):
        Faults(drop_rate=1.5)


def test_throttled_requests_answer_429_with_the_retry_after_asked_for(
    http: httpx.Client, sim: Simulator
) -> None:
    sim.faults = Faults(throttle_rate=1.0, retry_after_text="nan")
    response = http.get(PROJECTS)
    assert response.status_code == 429 and response.headers["Retry-After"] == "nan"
    assert response.json()["error"]["code"] == "429"


@pytest.mark.parametrize(
    ("faults", "status"), [(Faults(bad_gateway_rate=1.0), 502), (Faults(gateway_timeout_rate=1.0), 504)]
)
def test_a_gateway_error_after_a_write_hides_that_it_was_applied(
    http: httpx.Client, sim: Simulator, faults: Faults, status: int
) -> None:
    sim.faults = faults
    project = sim.rows("Profit_Projects")[0]["ProjectId"]
    response = http.put("/connectors/PtProject", json=_rename(project, "toch gedaan"))
    assert response.status_code == status and "Gateway" in response.text
    assert sim.rows("Profit_Projects")[0]["Description"] == "toch gedaan"
