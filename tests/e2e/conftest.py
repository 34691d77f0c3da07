"""The browser and the bot's server that every browser test uses.

Debian's Chromium (`apt-get install chromium`) is driven through Playwright; without
/usr/bin/chromium the browser tests are skipped on a developer's machine and fail in CI.
`server` is `python -m bot serve` on a free local port with a fresh database, one per test
module; a module that needs something in the database before the server starts (a staff
account) defines its own `server` fixture with tests.e2e.bot_server.serving.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.bot_server import serving
from tests.e2e.chat_page import WAIT_MS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = (f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
                   "(apt-get install chromium; .ci/run installs it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of `python -m bot serve`, running on a free port with a fresh database."""
    folder = tmp_path_factory.mktemp("server")
    with serving(folder / "bot.db", folder / "server.log") as url:
        yield url


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh phone-sized tab (empty localStorage) that fails the test on any alert."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="vi-VN", base_url=server)
    page = context.new_page()
    dialogs: list[str] = []

    def refuse(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    yield page
    context.close()
    assert dialogs == [], f"the page opened dialogs: {dialogs}"
