"""Loading an AfasConnection by name: a missing block and one saved with another schema are told apart."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import BlockDocumentCreate
from prefect.utilities.asyncutils import run_coro_as_sync
from typer.testing import CliRunner, Result

from blocks import (
    AfasConnection,
    ConnectionNotFoundError,
    ConnectionOutdatedError,
    aload_connection,
    load_connection,
)
from stkkr_tasks.cli import connection
from stkkr_tasks.errors import StkkrError
from stkkr_tasks.spec import SpecError, load_stkkr_text

pytestmark = pytest.mark.usefixtures("prefect_server")

#: Runs the CLI with arguments (and `input` on stdin).
Invoke = Callable[..., Result]

OLD_TOKEN = "<token><version>1</version><data>" + "0ld0ld" * 10 + "</data></token>"
NEW_TOKEN = "<token><version>1</version><data>" + "fe11ce" * 10 + "</data></token>"


def _name() -> str:
    return f"conn-{uuid.uuid4().hex[:8]}"


async def _save_outdated(name: str) -> None:
    """A block document as another stkkr version could have saved it: an environment type we do not know."""
    await AfasConnection(base_url="http://127.0.0.1:9/ProfitRestServices", token=OLD_TOKEN).asave(_name())
    async with get_client() as client:
        block_type = await client.read_block_type_by_slug("afas-connection")
        schema = next(s for s in await client.read_block_schemas() if s.block_type_id == block_type.id)
        await client.create_block_document(
            BlockDocumentCreate(
                name=name,
                data={"environment": "12345", "environment_type": "staging", "token": OLD_TOKEN},
                block_schema_id=schema.id,
                block_type_id=block_type.id,
            )
        )


@pytest.mark.anyio
async def test_a_missing_block_is_not_found() -> None:
    with pytest.raises(ConnectionNotFoundError) as caught:
        await aload_connection(_name())
    assert "stkkr connection set" in str(caught.value)
    assert isinstance(caught.value, StkkrError)


@pytest.mark.anyio
async def test_a_block_of_another_schema_is_outdated_not_missing() -> None:
    name = _name()
    await _save_outdated(name)

    with pytest.raises(ConnectionOutdatedError) as caught:
        await aload_connection(name)

    assert caught.value.fields == ["environment_type"]
    assert "exists but cannot be read" in str(caught.value)
    assert "0ld0ld" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_load_connection_works_outside_an_event_loop() -> None:
    name = _name()
    AfasConnection(environment="12345", environment_type="test", token=NEW_TOKEN).save(name)
    assert load_connection(name).environment == "12345"


@pytest.fixture
def invoke() -> Invoke:
    app = typer.Typer()
    connection.register(app)
    runner = CliRunner()

    def call(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return call


@pytest.fixture
def outdated() -> str:
    """The name of a freshly saved outdated block (for the sync CLI tests)."""
    name = _name()
    run_coro_as_sync(_save_outdated(name))
    return name


def test_connection_test_names_an_outdated_block(invoke: Invoke, outdated: str) -> None:
    name = outdated

    result = invoke("connection", "test", name)

    assert result.exit_code == 2
    assert "cannot be read" in result.output and "environment_type" in result.output


def test_connection_set_says_it_replaces_an_outdated_block_and_keeps_no_old_token(
    invoke: Invoke, outdated: str, tmp_path: Path
) -> None:
    name = outdated
    token_file = tmp_path / "token.xml"
    token_file.write_text(NEW_TOKEN)

    result = invoke("connection", "set", name, "--environment", "12345", "--token-file", str(token_file))

    assert result.exit_code == 0, result.output
    assert "cannot be read" in result.output and f"Replaced connection {name!r}" in result.output
    loaded = load_connection(name)
    assert loaded.token.get_secret_value() == NEW_TOKEN


def test_connection_set_without_a_token_does_not_keep_an_outdated_blocks_token(
    invoke: Invoke, outdated: str
) -> None:
    name = outdated

    result = invoke("connection", "set", name, "--environment", "12345", input="")

    assert result.exit_code == 2
    assert "The token is empty" in result.output


STKKR = """
stkkr: names
connection: {connection}
get: {{connector: Profit_Projects, order_by: [ProjectId]}}
transform: {{keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}, fields: {{PrSt: Gereed}}}}
update: {{connector: PtProject, action: update}}
"""


@pytest.mark.parametrize("bad", ["acme-", "acme--test", "Acme", "acme_test", "a" * 64])
def test_the_cli_and_the_stkkr_file_refuse_the_same_connection_names(invoke: Invoke, bad: str) -> None:
    result = invoke("connection", "set", bad, "--environment", "12345", input=NEW_TOKEN)

    assert result.exit_code == 2
    assert "not a valid connection name" in result.output
    with pytest.raises(SpecError, match=r"connection: (must be lowercase letters|is too long)"):
        load_stkkr_text(STKKR.format(connection=bad))


def test_a_name_the_cli_accepts_a_stkkr_file_accepts() -> None:
    assert load_stkkr_text(STKKR.format(connection="acme-test-2")).connection == "acme-test-2"
