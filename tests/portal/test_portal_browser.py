"""The portal in a real headless Chromium (Debian's `chromium`, driven by Playwright): what a customer does.

Skipped with a clear message when no Chromium is found, unless `STKKR_REQUIRE_BROWSER=1` (CI), which makes it
fail. `STKKR_SCREENSHOTS=DIR` saves screenshots of the main pages there (docs/ holds the README's).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.portal.conftest import PASSWORD, Portal

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def _chromium() -> str | None:
    for candidate in (os.environ.get("STKKR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system (Playwright's own browser download is not used)."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable, missing = None, "Playwright for Python is not installed (pip install -e '.[dev]')"
    else:
        missing = "no Chromium found at /usr/bin/chromium or STKKR_CHROMIUM (apt-get install chromium)"
    if executable is None:
        if os.environ.get("STKKR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"STKKR_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, portal: Portal) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal.url, viewport={"width": 1200, "height": 720}, accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("STKKR_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"portal-{name}.png"), full_page=True)


def _log_in(page: Page, username: str) -> None:
    page.goto("/login")
    _shot(page, "login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_customer_logs_in_and_sees_their_stkkrs_and_a_runs_counts(page: Page, portal: Portal) -> None:
    _log_in(page, "ann")
    page.wait_for_url("**/t/acme")
    table = page.locator("#stkkrs")
    assert portal.stkkrs["acme"] in table.inner_text()
    assert portal.stkkrs["globex"] not in page.content()
    assert "every 3600s" in table.inner_text() and "written" in table.inner_text()
    _shot(page, "stkkrs")
    page.click(f"text={portal.stkkrs['acme']}")
    page.wait_for_url(f"**/stkkrs/{portal.stkkrs['acme']}")
    completed = page.locator("#runs tr", has_text="Completed").first
    cells = [int(text) for text in completed.locator("td.num").all_inner_texts()[:5]]
    read, filtered_out, skipped, written, failed = cells
    assert read == filtered_out + skipped + written + failed > 0
    _shot(page, "runs")
    page.click("text=Error records")
    assert "LOG-1" in page.locator("#errors").inner_text()


def test_a_customer_switches_consent_and_downloads_their_data(page: Page) -> None:
    _log_in(page, "ann")
    page.wait_for_url("**/t/acme")
    page.click("text=Account & privacy")
    assert page.inner_text("#consent-state") == "off"
    page.click("#consent-switch")
    assert page.inner_text("#consent-state") == "on"
    assert "now stored, encrypted" in page.inner_text("[role=status]")
    _shot(page, "account")
    page.click("#consent-switch")
    assert page.inner_text("#consent-state") == "off"
    with page.expect_download() as info:
        page.click("#download")
    data: dict[str, Any] = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert [a["username"] for a in data["user_accounts"]] == ["ann"]
    assert data["contact_person"]["contact_name"] == "Ann Smit"
    assert PASSWORD not in json.dumps(data)


def test_a_customer_cannot_see_another_tenant(page: Page, portal: Portal) -> None:
    _log_in(page, "ann")
    page.wait_for_url("**/t/acme")
    for path in (
        "/t/globex",
        f"/t/globex/stkkrs/{portal.stkkrs['globex']}",
        f"/t/acme/stkkrs/{portal.stkkrs['globex']}",
    ):
        answer = page.goto(path)
        assert answer is not None and answer.status == 404, path
        assert page.inner_text("h1") == "Not found"
        assert "Globex" not in page.content()


def test_the_operator_sees_every_tenant_and_the_open_requests(page: Page) -> None:
    _log_in(page, "ops")
    page.wait_for_url("**/")
    assert "Acme BV" in page.inner_text("table") and "Globex NV" in page.inner_text("table")
    assert page.locator("#requests").is_visible()
    _shot(page, "operator")
