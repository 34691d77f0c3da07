"""The Telegram channel over real HTTP against a fake Bot API (tests/channels/fake_telegram.py).

Every request PTB makes goes to the fake on 127.0.0.1; Telegram itself is never reached. The
dialogue is the real one, over the committed knowledge and a fresh database per test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from bot.channels.telegram import (
    WEBHOOK_PATH,
    TelegramChannel,
    TelegramSetupError,
    run_telegram,
    telegram_routes,
)
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Button, Incoming, Reply
from bot.storage import Store
from tests.channels.fake_telegram import FakeTelegram

CHAT = 4242
SECRET = "s3cret-Token_for-tests"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_URL = "https://bot.example.gov.vn/webhooks/telegram"
# PTB's own RetryAfter constructor warns that retry_after will become a timedelta in v23.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")
FEE_QUESTION = "đăng ký tạm trú hết bao nhiêu tiền"


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeTelegram]:
    with FakeTelegram().serving() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeTelegram) -> FakeTelegram:
    fake_server.reset()
    return fake_server


@pytest.fixture
def settings(fake: FakeTelegram, tmp_path) -> Settings:
    return replace(Settings.from_env({}), db_path=tmp_path / "bot.db",
                   telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url)


@pytest.fixture
def dialogue(knowledge, settings: Settings) -> Iterator[Dialogue]:
    store = Store(settings.db_path)
    yield Dialogue(knowledge, store, settings)
    store.close()


@pytest_asyncio.fixture
async def polling(dialogue: Dialogue, settings: Settings) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(dialogue, settings)
    await channel.start()
    yield channel
    await channel.stop()


@pytest_asyncio.fixture
async def webhook(dialogue: Dialogue, settings: Settings) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(dialogue, settings, webhook_url=WEBHOOK_URL, secret_token=SECRET)
    await channel.start()
    yield channel
    await channel.stop()


class Citizen:
    """One person in a private chat; each turn waits for the bot's reply containing `expect`."""

    def __init__(self, fake: FakeTelegram, channel: TelegramChannel, chat_id: int = CHAT):
        self.fake, self.channel, self.chat_id = fake, channel, chat_id

    async def deliver(self, update: dict[str, Any]) -> None:
        if self.channel.webhook_url:
            status = await self.channel.process_webhook(
                {"X-Telegram-Bot-Api-Secret-Token": SECRET}, json.dumps(update).encode())
            assert status == 200
        else:
            self.fake.queue(update)

    async def says(self, text: str, expect: str) -> list[dict[str, Any]]:
        return await self.sends(self.fake.text_update(self.chat_id, text), expect)

    async def presses(self, data: str, expect: str) -> list[dict[str, Any]]:
        return await self.sends(self.fake.callback_update(self.chat_id, data), expect)

    async def sends(self, update: dict[str, Any], expect: str) -> list[dict[str, Any]]:
        """The messages sent since the update, once one of them contains `expect`."""
        before = len(self.fake.sent_messages(self.chat_id))
        await self.deliver(update)

        def new_messages() -> list[dict[str, Any]] | None:
            new = self.fake.sent_messages(self.chat_id)[before:]
            return new if any(expect in message["text"] for message in new) else None

        return await self.fake.wait_for(new_messages)


def _unreachable(dialogue: Dialogue) -> bool:
    user = dialogue.store.user("telegram", str(CHAT))
    return user is not None and user.unreachable


# --- start ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_wrong_token_stops_start_with_a_clear_message(dialogue, settings) -> None:
    channel = TelegramChannel(dialogue, replace(settings, telegram_bot_token="123:WRONG"))

    with pytest.raises(TelegramSetupError, match="TELEGRAM_BOT_TOKEN") as raised:
        await channel.start()

    assert "WRONG" not in str(raised.value)  # the token itself is never shown
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.asyncio
async def test_a_missing_token_stops_start_with_a_clear_message(dialogue, settings) -> None:
    channel = TelegramChannel(dialogue, replace(settings, telegram_bot_token=None))

    with pytest.raises(TelegramSetupError, match="TELEGRAM_BOT_TOKEN is not set"):
        await channel.start()


@pytest.mark.asyncio
async def test_an_unreachable_api_names_its_setting(dialogue, settings) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    channel = TelegramChannel(dialogue, replace(
        settings, telegram_api_base_url=f"http://127.0.0.1:{port}"))

    with pytest.raises(TelegramSetupError, match="TELEGRAM_API_BASE_URL"):
        await channel.start()


@pytest.mark.asyncio
async def test_start_registers_the_commands_in_vietnamese(fake, polling) -> None:
    [call] = fake.calls_to("setMyCommands")
    commands = {c["command"]: c["description"] for c in call.params["commands"]}

    assert list(commands) == ["start", "menu", "phananh", "danhgia", "theodoi", "help", "huy"]
    assert commands["phananh"] == "Gửi phản ánh, kiến nghị"
    assert fake.calls_to("getMe") and fake.calls_to("deleteWebhook")  # polling needs no hook


# --- polling -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_question_gets_the_fee_answer_with_buttons(fake, polling) -> None:
    messages = await Citizen(fake, polling).says(FEE_QUESTION, "Phí, lệ phí")

    answer = messages[0]
    assert "Đăng ký tạm trú" in answer["text"] and "7.000 đồng" in answer["text"]
    rows = answer["reply_markup"]["inline_keyboard"]
    assert all(len(row) == 1 for row in rows)
    assert {"text": "Thành phần hồ sơ", "callback_data": "proc:1.004194:documents"} in \
        [row[0] for row in rows]
    assert rows[-1][0]["url"].startswith("https://dichvucong.gov.vn/")
    assert all("parse_mode" not in message for message in fake.sent_messages())


@pytest.mark.asyncio
async def test_a_button_press_is_answered_and_gives_that_aspect(fake, polling) -> None:
    update = fake.callback_update(CHAT, "proc:1.004194:duration")

    messages = await Citizen(fake, polling).sends(update, "Thời hạn giải quyết")

    assert "Mã thủ tục: 1.004194" in messages[0]["text"]
    [answered] = fake.calls_to("answerCallbackQuery")
    assert answered.params["callback_query_id"] == update["callback_query"]["id"]


@pytest.mark.asyncio
async def test_start_with_a_deep_link_opens_that_procedure(fake, polling, t) -> None:
    citizen = Citizen(fake, polling)

    messages = await citizen.says("/start proc_1_004222", "Mã thủ tục: 1.004222")
    assert "Đăng ký thường trú" in messages[0]["text"]

    await citizen.says("/start", t("greeting"))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_commands_lead_where_their_menu_buttons_do(fake, polling, t) -> None:
    citizen = Citizen(fake, polling)

    await citizen.says("/help", t("help"))
    await citizen.says("/menu", t("menu_title"))
    await citizen.says("/huy", t("form.nothing_to_cancel"))
    await citizen.says("/theodoi", t("subscribe.choose"))
    await citizen.says("/danhgia", t("rating.ask_subject"))
    messages = await citizen.says("/phananh", t("petition.privacy"))
    assert messages[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == \
        "flow:choice:yes"
    await citizen.says("/huy", t("petition.cancelled"))


# --- webhook -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_webhook_mode_registers_the_url_with_the_secret(fake, webhook) -> None:
    assert fake.webhook["url"] == WEBHOOK_URL
    assert fake.webhook["secret_token"] == SECRET
    assert set(fake.webhook["allowed_updates"]) >= {"message", "callback_query"}
    assert not fake.calls_to("getUpdates")


@pytest.mark.asyncio
async def test_a_webhook_with_the_right_secret_is_answered(fake, webhook) -> None:
    await Citizen(fake, webhook).says(FEE_QUESTION, "7.000 đồng")


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}])
async def test_a_webhook_without_the_secret_is_refused(fake, webhook, headers) -> None:
    body = json.dumps(fake.text_update(CHAT, FEE_QUESTION)).encode()

    assert await webhook.process_webhook(headers, body) == 403
    # The same update with the secret, so that waiting for it shows nothing else was sent.
    await Citizen(fake, webhook, chat_id=CHAT + 1).says(FEE_QUESTION, "7.000 đồng")
    assert fake.sent_messages(CHAT) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"message": {}}',
                                  b'{"update_id": 5, "message": "hello"}'])
async def test_a_webhook_body_that_is_not_an_update_is_a_bad_request(webhook, body) -> None:
    assert await webhook.process_webhook({"x-telegram-bot-api-secret-token": SECRET},
                                         body) == 400


@pytest.mark.asyncio
async def test_the_webhook_route_answers_over_http(fake, webhook) -> None:
    app = Starlette(routes=telegram_routes(webhook))
    update = fake.text_update(CHAT, FEE_QUESTION)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bot.test") as client:
        refused = await client.post(WEBHOOK_PATH, json=update)
        taken = await client.post(WEBHOOK_PATH, json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        too_large = await client.post(WEBHOOK_PATH, content=b"x" * (1024 * 1024 + 1),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})

    assert (refused.status_code, taken.status_code, too_large.status_code) == (403, 200, 413)
    await fake.wait_for_text(CHAT, "7.000 đồng")


@pytest.mark.asyncio
async def test_a_webhook_before_start_is_unavailable(fake, dialogue, settings) -> None:
    channel = TelegramChannel(dialogue, settings, webhook_url=WEBHOOK_URL, secret_token=SECRET)
    body = json.dumps(fake.text_update(CHAT, FEE_QUESTION)).encode()

    assert await channel.process_webhook({SECRET_HEADER: SECRET}, body) == 503


@pytest.mark.slow
@pytest.mark.asyncio
async def test_run_telegram_serves_until_told_to_stop(fake, dialogue, settings) -> None:
    channel, stop = TelegramChannel(dialogue, settings), asyncio.Event()
    running = asyncio.create_task(run_telegram(channel, stop))

    await Citizen(fake, channel).says(FEE_QUESTION, "7.000 đồng")
    stop.set()
    await running

    assert not channel.running and not channel.application.running


# --- Bot API errors ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_rate_limited_message_is_retried_and_delivered_once(fake, webhook) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)

    await Citizen(fake, webhook).says(FEE_QUESTION, "Câu trả lời có hữu ích không?")

    refused = [c for c in fake.calls_to("sendMessage") if not c.ok]
    assert [c.error_code for c in refused] == [429]
    texts = fake.texts(CHAT)
    assert len(texts) == len(set(texts))  # each message exactly once
    assert sum("7.000 đồng" in text for text in texts) == 1


@pytest.mark.asyncio
async def test_a_user_who_blocked_the_bot_is_marked_unreachable(fake, webhook,
                                                                dialogue) -> None:
    fake.block(CHAT)

    await Citizen(fake, webhook).deliver(fake.text_update(CHAT, FEE_QUESTION))
    await fake.wait_for(lambda: _unreachable(dialogue))

    # The fee answer has three messages; after the first 403 the others are not tried.
    assert [c.error_code for c in fake.calls_to("sendMessage")] == [403]


@pytest.mark.asyncio
async def test_blocking_and_unblocking_the_bot_is_recorded(fake, webhook, dialogue) -> None:
    citizen = Citizen(fake, webhook)
    await citizen.says("/start", "Xin chào")

    await citizen.deliver(fake.my_chat_member_update(CHAT, "kicked"))
    await fake.wait_for(lambda: _unreachable(dialogue))
    await citizen.deliver(fake.my_chat_member_update(CHAT, "member"))
    await fake.wait_for(lambda: not _unreachable(dialogue))


@pytest.mark.asyncio
async def test_a_refused_message_is_logged_and_the_rest_still_sent(fake, webhook,
                                                                  caplog) -> None:
    fake.fail_next("sendMessage", 400, description="Bad Request: message is too long")

    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        await Citizen(fake, webhook).says(FEE_QUESTION, "Câu trả lời có hữu ích không?")

    assert "Telegram refused a message to chat 4242: Message is too long" in caplog.text


# --- long replies, files, long payloads ----------------------------------------------------


async def _petition_until_attachments(citizen: Citizen, t, content: str) -> None:
    await citizen.says("/phananh", t("petition.privacy"))
    await citizen.presses("flow:choice:yes", t("petition.ask_content"))
    await citizen.says(content, t("petition.ask_agency"))
    await citizen.presses("flow:skip", t("petition.ask_place"))
    await citizen.presses("flow:skip", t("petition.ask_procedure"))
    await citizen.presses("flow:skip", t("petition.ask_attachments"))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_long_reply_is_split_below_4096_characters(fake, webhook, t) -> None:
    citizen = Citizen(fake, webhook)
    content = " ".join(["Đèn đường ở ngõ 12 phố Hàng Bạc bị hỏng đã ba tuần."] * 76)
    content += " Mong sớm được sửa chữa."
    assert len(content) <= 4000  # what the dialogue takes; its summary is longer than 4096
    await _petition_until_attachments(citizen, t, content)
    await citizen.presses("flow:skip", t("petition.ask_name"))
    await citizen.says("Nguyễn Văn An", t("petition.ask_contact"))

    summary = await citizen.says("0912345678", "Bấm «Gửi phản ánh» để gửi.")

    assert len(summary) >= 2
    assert all(len(message["text"].encode("utf-16-le")) // 2 <= 4096 for message in summary)
    assert all("reply_markup" not in message for message in summary[:-1])
    assert summary[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == \
        "flow:choice:send"
    assert " ".join(m["text"] for m in summary).count("bị hỏng đã ba tuần") == 76


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_photo_sent_at_the_attachments_step_is_kept_with_the_petition(
        fake, webhook, dialogue, t) -> None:
    citizen = Citizen(fake, webhook)
    await _petition_until_attachments(citizen, t, "Đèn đường ở ngõ 12 bị hỏng đã ba tuần.")

    photo = fake.photo_update(CHAT, caption="Ảnh chụp tối qua", file_id="AgACPhotoOfTheLamp",
                              size=300_000)
    await citizen.sends(photo, t("petition.ask_name"))
    await citizen.says("Nguyễn Văn An", t("petition.ask_contact"))
    await citizen.says("0912345678", "Bấm «Gửi phản ánh» để gửi.")
    await citizen.presses("flow:choice:send", "PA-")

    [petition] = dialogue.store.petitions_of("telegram", str(CHAT))
    unique_id = photo["message"]["photo"][-1]["file_unique_id"]
    assert petition.attachments == [{"name": f"anh_{unique_id}.jpg", "mime": "image/jpeg",
                                     "size": 300_000, "ref": "AgACPhotoOfTheLamp"}]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_an_album_is_taken_as_one_answer(fake, webhook, dialogue, t) -> None:
    citizen = Citizen(fake, webhook)
    await _petition_until_attachments(citizen, t, "Đèn đường ở ngõ 12 bị hỏng đã ba tuần.")
    before = len(fake.sent_messages(CHAT))

    await citizen.deliver(fake.photo_update(CHAT, "Hai ảnh", file_id="AgACFirstPhoto01",
                                            media_group_id="album-1"))
    await citizen.sends(fake.photo_update(CHAT, file_id="AgACSecondPhoto2",
                                          media_group_id="album-1"), t("petition.ask_name"))

    assert [m["text"] for m in fake.sent_messages(CHAT)[before:]] == [t("petition.ask_name")]
    data = dialogue.store.session("telegram", str(CHAT)).data
    assert [a["ref"] for a in data["attachments"]] == ["AgACFirstPhoto01", "AgACSecondPhoto2"]


@pytest.mark.asyncio
async def test_a_payload_over_64_bytes_comes_back_whole(fake, webhook, dialogue,
                                                        monkeypatch) -> None:
    long = "topic:" + "thủ-tục-hành-chính-" * 5
    assert await webhook.send_replies(str(CHAT), [Reply("Chọn", (Button("Tiếp", long),))])
    [sent] = fake.sent_messages(CHAT)
    data = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    seen: list[Incoming] = []
    handle = dialogue.handle
    monkeypatch.setattr(dialogue, "handle", lambda incoming: seen.append(incoming) or
                        handle(incoming))

    await Citizen(fake, webhook).presses(data, "")

    assert seen[0].button == long


# --- the staff group ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_post_to_the_staff_group_carries_its_link_button(fake, webhook) -> None:
    group = -1001234567890
    posted = await webhook.post_to_group(str(group), "📥 Phản ánh mới PA-2026-000001",
                                         "Mở phản ánh",
                                         "https://bot.example.gov.vn/staff/petitions/PA-2026-000001")

    [message] = fake.sent_messages(group)
    assert posted and message["text"] == "📥 Phản ánh mới PA-2026-000001"
    assert message["reply_markup"]["inline_keyboard"] == [[{
        "text": "Mở phản ánh",
        "url": "https://bot.example.gov.vn/staff/petitions/PA-2026-000001"}]]


@pytest.mark.asyncio
async def test_a_refused_post_to_the_staff_group_is_reported_not_raised(fake, webhook) -> None:
    fake.fail_next("sendMessage", 400)
    assert not await webhook.post_to_group("-100999", "📥 Phản ánh mới")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_follow_up_on_telegram_is_read_against_the_last_answer(fake, webhook, t) -> None:
    citizen = Citizen(fake, webhook)
    await citizen.says("đăng ký tạm trú", "Mã thủ tục: 1.004194")
    messages = await citizen.says("còn lệ phí thì sao?", t("heading.fee"))
    assert any("Mã thủ tục: 1.004194" in m["text"] and t("heading.fee") in m["text"]
               for m in messages)
    messages = await citizen.says("làm căn cước công dân", "Mã thủ tục:")
    messages = await citizen.says("con em mới 10 tuổi thì sao", "dưới 14 tuổi")
    assert any(t("follow_up.sibling") in m["text"] for m in messages)
