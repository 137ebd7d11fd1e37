"""Constants that used to exist in two or three copies now live once; every user reads that one."""

from __future__ import annotations

import base64

import pytest

from blocks import AfasConnection
from stkkr_tasks.afas import AfasAuthError, AfasConnectError, AfasForbiddenError, EnvironmentType, Operator
from stkkr_tasks.afas.auth import AfasTokenAuth, normalise_token, token_header
from stkkr_tasks.afas.urls import ENVIRONMENT_TYPES
from stkkr_tasks.cli import connection as connection_cli
from stkkr_tasks.simulator import Simulator
from stkkr_tasks.tasks import fatal_reason

DATA = "C0FFEE" * 8


def test_operators_without_a_value_are_empty_and_not_empty() -> None:
    assert [op.symbol for op in Operator if not op.takes_value] == ["empty", "not_empty"]


def test_the_environment_types_are_one_enum() -> None:
    assert set(ENVIRONMENT_TYPES) == set(EnvironmentType)
    assert AfasConnection.model_fields["environment_type"].annotation is EnvironmentType
    assert connection_cli.EnvironmentType is EnvironmentType


def test_the_simulator_and_the_client_normalise_and_encode_tokens_alike() -> None:
    sim = Simulator(rows=1, token=DATA)
    full = normalise_token(DATA)

    assert sim.token == full
    assert sim.auth_header == token_header(DATA) == token_header(full)
    assert token_header(DATA) == "AfasToken " + base64.b64encode(full.encode()).decode()
    assert "C0FFEE" not in repr(AfasTokenAuth(DATA))
    with pytest.raises(ValueError, match="must be the full"):
        Simulator(rows=1, token="not <a> token")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AfasAuthError(401, "GET", "Profit_Projects"), "AFAS refused the token (HTTP 401)"),
        (AfasForbiddenError(403, "GET", "Profit_Projects"), "AFAS refused access (HTTP 403)"),
        (AfasConnectError("GET", "Profit_Projects", "connection refused"), "AFAS is unreachable"),
    ],
)
def test_a_run_and_connection_test_tell_refusals_in_the_same_words(error: Exception, words: str) -> None:
    reason = fatal_reason(error)
    assert reason is not None and reason.startswith(words)
