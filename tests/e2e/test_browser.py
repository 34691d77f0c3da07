"""The web chat in a real browser, as a citizen on a phone uses it.

Starts `python -m bot serve` on a free local port with a fresh database and drives Debian's
Chromium (`apt-get install chromium`) through Playwright at a phone's size (390 x 844); the
fixtures are in conftest.py. Without /usr/bin/chromium these tests are skipped on a
developer's machine and fail in CI.

    .venv/bin/python -m pytest -q -m e2e tests/e2e
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.chat_page import (
    ask,
    bot_messages,
    file_petition,
    press,
    say,
    user_messages,
    wait_for_answer,
)

pytestmark = pytest.mark.e2e

QUESTION = "đăng ký tạm trú cần giấy tờ gì"
MARKUP = "<img src=x onerror=alert(1)>"
PORTAL_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng thông tin điện tử tỉnh</title></head>
<body><h1>Cổng thông tin điện tử tỉnh</h1>
<script src="{server}/embed.js" defer></script>
</body></html>
"""


@pytest.fixture(scope="module")
def portal(server: str) -> Iterator[str]:
    """A provincial portal's page that includes the chat with its one script tag.

    It is served from another origin than the bot (localhost and another port against
    127.0.0.1), and from a real local server: Chromium refuses a page it takes for a public
    site (a made-up host) loading scripts from this machine's loopback address.
    """
    body = PORTAL_PAGE.format(server=server).encode()

    class PortalPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PortalPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_question_a_button_and_a_reload(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#input")).to_be_visible()

    ask(page, QUESTION)
    expect(user_messages(page).last).to_have_text(QUESTION)
    answer = bot_messages(page).filter(has_text="tạm trú").filter(has=page.locator(".choice"))
    expect(answer.first).to_be_visible()
    expect(page.locator("#typing")).to_be_hidden()
    expect(page.locator("#input")).to_have_value("")

    choice = answer.first.locator(".choice").first
    label = choice.inner_text()
    before = bot_messages(page).count()
    choice.click()
    expect(user_messages(page).last).to_have_text(label)
    wait_for_answer(page, before)
    assert bot_messages(page).count() > before

    shown = page.locator("#messages .bubble").all_inner_texts()
    page.reload()
    expect(page.locator("#messages .bubble")).to_have_count(len(shown))
    assert page.locator("#messages .bubble").all_inner_texts() == shown
    expect(page.locator("#messages .choice").first).to_be_enabled()


def test_markup_in_a_message_is_shown_as_text(page: Page) -> None:
    page.goto("/")
    ask(page, MARKUP)
    expect(user_messages(page).last.locator(".bubble")).to_have_text(MARKUP)
    wait_for_answer(page, 0)
    assert page.locator("img").count() == 0, "the message must not become an element"

    page.reload()
    expect(user_messages(page).last.locator(".bubble")).to_have_text(MARKUP)
    assert page.locator("img").count() == 0


def test_a_failed_request_is_shown_politely_and_can_be_retried(page: Page) -> None:
    page.goto("/")
    page.route("**/api/chat", lambda route: route.abort())
    ask(page, QUESTION)
    error = page.locator("#messages > li.msg-error")
    expect(error).to_contain_text("thử lại")
    expect(user_messages(page)).to_have_count(1)

    page.unroute("**/api/chat")
    error.get_by_role("button", name="Thử lại").click()
    expect(bot_messages(page).filter(has_text="tạm trú").first).to_be_visible()
    expect(error).to_have_count(0)
    expect(user_messages(page)).to_have_count(1)  # the question is sent again, not repeated


def test_the_whole_chat_fits_a_phone_screen(page: Page) -> None:
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto("/")
    ask(page, QUESTION)
    wait_for_answer(page, 0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scroll"
    for target in (page.locator("#send"), bot_messages(page).locator(".choice").first):
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, "tap targets are at least 44 px high"
    expect(page.locator("#input")).to_be_in_viewport()


def test_a_portal_gets_the_chat_with_one_script_tag(page: Page, server: str,
                                                     portal: str) -> None:
    page.goto(portal)
    expect(page.locator("h1")).to_have_text("Cổng thông tin điện tử tỉnh")

    button = page.locator("#thutuc-chat-button")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    iframe = page.locator("#thutuc-chat-panel iframe")
    expect(iframe).to_have_attribute("src", f"{server}/")

    chat = page.frame_locator("#thutuc-chat-panel iframe")
    ask(chat, QUESTION)
    expect(bot_messages(chat).filter(has_text="tạm trú").first).to_be_visible()

    button.click()
    expect(page.locator("#thutuc-chat-panel")).to_be_hidden()


def test_a_citizen_files_a_petition_and_looks_it_up(page: Page) -> None:
    page.goto("/")
    say(page, "tôi muốn phản ánh")
    expect(bot_messages(page).last).to_contain_text("13/2023/NĐ-CP")
    code = file_petition(page, "Cán bộ một cửa hẹn đi hẹn lại ba lần mà chưa nhận hồ sơ "
                         "của tôi", name="Trần Thị Bình", phone="0987 654 321")

    say(page, code)
    expect(bot_messages(page).last).to_contain_text(code)
    expect(bot_messages(page).last).to_contain_text("hẹn đi hẹn lại")


def test_follow_ups_in_the_web_chat_read_the_last_answer(page: Page, tmp_path) -> None:
    page.goto("/")
    # Each turn waits until the chat is idle again: a message typed while the last answer is
    # still arriving waits in the field.
    say(page, "đăng ký khai sinh cho con")
    expect(bot_messages(page).filter(has_text="1.001193").first).to_be_visible()
    say(page, "mất bao lâu")
    expect(bot_messages(page).filter(has_text="Thời hạn giải quyết")
           .filter(has_text="1.001193").first).to_be_visible()
    say(page, "thế còn người nước ngoài?")
    expect(bot_messages(page).filter(has_text="thuộc một thủ tục khác").first).to_be_visible()
    expect(bot_messages(page).filter(has_text="2.000528").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "follow-ups.png"), full_page=True)


def test_documents_come_case_by_case_with_the_source_as_a_link(page: Page, tmp_path) -> None:
    page.goto("/")
    say(page, "đăng ký tạm trú cần giấy tờ gì")
    answer = bot_messages(page).filter(has_text="Mẫu CT01").first
    expect(answer).to_be_visible()
    # The bubble shows no raw URL: the source is the link under it.
    expect(answer).not_to_contain_text("https://")
    press(page, "Theo danh sách")
    expect(bot_messages(page).filter(has_text="Văn bản đề nghị đăng ký tạm trú").first
           ).to_be_visible()
    page.screenshot(path=str(tmp_path / "documents-by-case.png"), full_page=True)
