"""The AfasConnection block: Prefect's block standards, save/load, and the token never in clear."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import BinaryIO

import pytest
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from prefect.testing.standard_test_suites import blocks as standard_blocks

from blocks import AfasConnection
from blocks.afas_connection import RAW_BASE_URL
from stkkr_tasks.afas import AfasConfigError

pytestmark = pytest.mark.usefixtures("prefect_server")

TOKEN = "<token><version>1</version><data>" + "c0ffee" * 10 + "beef</data></token>"


REPOSITORY = Path(__file__).resolve().parents[2]


def _open_from_checkout(url: str) -> BinaryIO:
    """`urlopen` for the test machines, which are offline: a file of this repository from the checkout."""
    assert url.startswith(RAW_BASE_URL + "/"), f"the logo is not served from this repository: {url}"
    return (REPOSITORY / url.removeprefix(RAW_BASE_URL + "/")).open("rb")


class TestAfasConnectionStandards(BlockStandardTestSuite):
    """Prefect's own checks for blocks: descriptions ending in '.', docs URL, code example, square logo."""

    @pytest.fixture(autouse=True)
    def _offline_logo(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(standard_blocks, "urlopen", _open_from_checkout)

    @pytest.fixture
    def block(self) -> type[Block]:
        return AfasConnection


def test_the_logo_is_drawn_from_the_svg_in_the_repository() -> None:
    svg = REPOSITORY / "blocks" / "logos" / "afas-connection.svg"
    assert str(AfasConnection._logo_url) == f"{RAW_BASE_URL}/blocks/logos/afas-connection.png"
    assert 'viewBox="0 0 256 256"' in svg.read_text(encoding="utf-8")


def test_the_documentation_url_points_at_the_readme_section() -> None:
    assert str(AfasConnection._documentation_url).endswith("#connections")
    assert "\n### Connections\n" in (REPOSITORY / "README.md").read_text(encoding="utf-8")


def _name() -> str:
    return f"conn-{uuid.uuid4().hex[:8]}"


def test_repr_and_str_mask_the_token() -> None:
    connection = AfasConnection(environment="12345", environment_type="test", token=TOKEN)
    assert TOKEN not in repr(connection)
    assert TOKEN not in str(connection)
    assert "c0ffee" not in repr(connection.model_dump())


def test_save_and_load_round_trip() -> None:
    name = _name()
    AfasConnection(
        environment="12345",
        environment_type="accept",
        token=TOKEN,
        integration_id="12345_678900",
        language="nl-nl",
    ).save(name)
    loaded = AfasConnection.load(name)
    assert isinstance(loaded, AfasConnection)
    assert loaded.environment == "12345"
    assert loaded.environment_type == "accept"
    assert loaded.integration_id == "12345_678900"
    assert loaded.language == "nl-nl"
    assert loaded.token.get_secret_value() == TOKEN


@pytest.mark.anyio
async def test_saved_document_holds_the_token_only_encrypted() -> None:
    name = _name()
    await AfasConnection(base_url="http://127.0.0.1:9/ProfitRestServices", token=TOKEN).asave(name)
    async with get_client() as client:
        document = await client.read_block_document_by_name(name, "afas-connection", include_secrets=False)
    assert document.data["token"] != TOKEN
    assert "c0ffee" not in str(document.data)
    database = Path(re.sub(r"^sqlite\+aiosqlite:///", "", PREFECT_SERVER_DATABASE_CONNECTION_URL.value()))
    raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    assert b"c0ffee" not in raw


def test_get_client_uses_the_block_settings() -> None:
    connection = AfasConnection(environment="12345", environment_type="test", token=TOKEN)
    client = connection.get_client()
    assert client.base_url.startswith("https://12345.resttest.afas.online/")
    assert "c0ffee" not in repr(client)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8000/ProfitRestServices", "http://localhost/ProfitRestServices", "http://[::1]:80/P"],
)
def test_http_to_this_machine_is_allowed(base_url: str) -> None:
    assert AfasConnection(base_url=base_url, token=TOKEN).get_client().base_url == base_url


@pytest.mark.parametrize(
    "base_url",
    ["http://proxy.acme.internal/ProfitRestServices", "http://10.0.0.5/P", "HTTP://127.0.0.1.evil.nl/P"],
)
def test_http_to_another_machine_is_refused_unless_allowed(base_url: str) -> None:
    with pytest.raises(AfasConfigError, match="token would travel unencrypted") as info:
        AfasConnection(base_url=base_url, token=TOKEN).get_client()
    assert "c0ffee" not in str(info.value)
    allowed = AfasConnection(base_url=base_url, token=TOKEN, allow_insecure_http=True)
    assert allowed.get_client().base_url == base_url
