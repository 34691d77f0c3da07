"""What a citizen does on the web chat page, for the browser tests.

    say(page, "tôi muốn phản ánh")         # types, sends and waits for the bot's answer
    press(page, "Tôi đồng ý")              # presses the newest button with that label
    code = file_petition(page, "Đèn đường hỏng", name="Trần Thị Bình", phone="0987 654 321")
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

# The bot answers in milliseconds; the margin is for a busy CI machine, not for the bot.
WAIT_MS = 20_000
PETITION_CODE = re.compile(r"PA-\d{4}-\d{6}")


def bot_messages(scope: Page | Locator) -> Locator:
    return scope.locator("#messages > li.msg-bot:not(.msg-error)")


def user_messages(scope: Page | Locator) -> Locator:
    return scope.locator("#messages > li.msg-user")


def ask(scope: Page | Locator, text: str) -> None:
    field = scope.locator("#input")
    field.fill(text)
    field.press("Enter")


def wait_for_answer(page: Page, bot_count_before: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#messages > li.msg-bot').length > n",
        arg=bot_count_before, timeout=WAIT_MS)
    expect(page.locator("#typing")).to_be_hidden()


def press(page: Page, label: str) -> None:
    """Presses the newest reply button with this label and waits for the bot's answer."""
    before = bot_messages(page).count()
    page.locator("#messages .choice", has_text=label).last.click()
    wait_for_answer(page, before)


def say(page: Page, text: str) -> None:
    before = bot_messages(page).count()
    ask(page, text)
    wait_for_answer(page, before)


def file_petition(page: Page, content: str, *, name: str, phone: str) -> str:
    """From the bot's consent question to the receipt: agrees, describes the matter, skips
    the optional steps (agency, place, procedure), gives a name and a phone number and
    confirms. Returns the petition's code (PA-YYYY-NNNNNN)."""
    press(page, "Tôi đồng ý")
    say(page, content)
    for _ in range(3):  # agency, place, procedure: all optional
        press(page, "Bỏ qua")
    say(page, name)
    say(page, phone)
    expect(bot_messages(page).last).to_contain_text(name)
    press(page, "Gửi phản ánh")
    receipt = bot_messages(page).last.inner_text()
    code = PETITION_CODE.search(receipt)
    assert code, f"no petition code in the receipt: {receipt}"
    return code.group(0)
