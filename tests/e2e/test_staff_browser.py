"""The staff side in a real browser: an officer answers a citizen's petition, the citizen sees
the answer in the web chat and rates the handling.

The officer's account is made with `python -m bot staff add` on the server's database before
`python -m bot serve` starts, as an administrator would. The citizen uses a phone-sized tab;
the officer a desktop one in a browser context of its own (its own cookies). The fixtures are
in conftest.py.

    .venv/bin/python -m pytest -q -m e2e tests/e2e/test_staff_browser.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.bot_server import run_bot, serving
from tests.e2e.chat_page import bot_messages, file_petition, press, say

pytestmark = pytest.mark.e2e

OFFICER = "lan"
OFFICER_NAME = "Nguyễn Thị Lan"
PASSWORD = "mật khẩu của chị Lan"
DESKTOP = {"width": 1280, "height": 900}
MARKUP = "<b>đậm</b>"
CONTENT = f"Đèn đường trước nhà số 12 ngõ 5 hỏng đã hai tuần, buổi tối rất tối {MARKUP}"
ANSWER = "Đội quản lý đô thị đã thay bóng đèn ngày hôm nay. Cảm ơn Bạn đã phản ánh."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m bot serve` on a fresh database that has an officer's account."""
    folder = tmp_path_factory.mktemp("staff-server")
    db = folder / "bot.db"
    # The password through STAFF_PASSWORD rather than --password: not in the process list.
    run_bot("staff", "add", OFFICER, "--name", OFFICER_NAME, "--role", "officer",
            "--db", str(db), env={"STAFF_PASSWORD": PASSWORD})
    with serving(db, folder / "server.log") as url:
        yield url


@pytest.fixture
def officer(browser: Browser, server: str) -> Iterator[Page]:
    """A desktop tab with cookies of its own, not logged in."""
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", base_url=server)
    yield context.new_page()
    context.close()


def log_in(officer: Page) -> None:
    """Opens /staff/, is sent to the log-in page, logs in and lands on the inbox."""
    officer.goto("/staff/")
    expect(officer).to_have_url(re.compile(r"/staff/login\?next=/staff/$"))
    expect(officer.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    officer.get_by_label("Tên đăng nhập").fill(OFFICER)
    officer.get_by_label("Mật khẩu").fill(PASSWORD)
    officer.get_by_role("button", name="Đăng nhập").click()
    expect(officer).to_have_url(re.compile(r"/staff/petitions$"))


def card(officer: Page, heading: str) -> Locator:
    """The section of the petition's page under this heading."""
    return officer.locator("section.card").filter(
        has=officer.get_by_role("heading", name=heading, exact=True))


def test_an_officer_answers_a_petition_and_the_citizen_rates_it(page: Page,
                                                                 officer: Page) -> None:
    # The citizen files a petition from the menu and leaves the chat page.
    page.goto("/")
    say(page, "menu")
    press(page, "Gửi phản ánh, kiến nghị")
    expect(bot_messages(page).last).to_contain_text("13/2023/NĐ-CP")
    code = file_petition(page, CONTENT, name="Trần Thị Bình", phone="0987 654 321")
    # Away from the page, nothing can fetch the answer before the citizen comes back.
    page.goto("about:blank")

    # The officer logs in, finds the petition in the inbox and opens it.
    log_in(officer)
    officer.get_by_label("Tìm").fill(code)
    officer.get_by_role("button", name="Lọc").click()
    row = officer.locator("table.inbox tbody tr", has_text=code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Trần Thị Bình")
    expect(row).to_contain_text("Mới tiếp nhận")
    row.get_by_role("link", name=code).click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text(code)

    # What the citizen typed is shown as text, markup and all.
    expect(card(officer, "Người dân gửi").locator(".citizen-text")).to_contain_text(MARKUP)
    expect(officer.locator(".citizen-text b")).to_have_count(0)

    # The officer answers and closes; the web chat cannot be pushed, so it waits for the page.
    officer.get_by_label("Câu trả lời").fill(ANSWER)
    officer.get_by_role("button", name="Gửi trả lời và đóng phản ánh").click()
    notice = officer.get_by_role("status").filter(has_text="Đã lưu câu trả lời")
    expect(notice).to_contain_text("Đã lưu câu trả lời và đóng phản ánh.")
    expect(notice).to_contain_text("tin sẽ hiện khi họ mở lại trang trò chuyện")
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Đã đóng")
    answer_card = card(officer, "Câu trả lời của cơ quan")
    expect(answer_card).to_contain_text(ANSWER)
    expect(answer_card).to_contain_text("Chờ người dân mở trang web")

    # The citizen opens the chat again: the answer and the rating request are there.
    page.goto("/")
    answer = bot_messages(page).filter(has_text=f"Cơ quan đã trả lời phản ánh {code}")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text(ANSWER)
    rating = bot_messages(page).filter(has_text=f"Phản ánh {code} đã được xử lý xong")
    expect(rating).to_have_count(1)
    expect(rating.locator(".choice")).to_have_count(5)
    expect(rating.locator(".choice").first).to_have_text("5 – Rất hài lòng")
    press(page, "5 – Rất hài lòng")
    expect(bot_messages(page).last).to_contain_text(
        f"Cảm ơn Bạn đã đánh giá việc giải quyết phản ánh {code}.")

    # The officer sees that the answer reached the citizen.
    officer.reload()
    expect(card(officer, "Tin đã gửi người dân")).to_contain_text("Đã gửi tới người dân")
