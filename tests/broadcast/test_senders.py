"""The channels' senders (bot/broadcast/senders.py) over real HTTP against the fake Bot API
and the fake Zalo OA API: what each platform's answer becomes."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from bot.broadcast.announcements import Announcement
from bot.broadcast.delivery import Outcome
from bot.broadcast.senders import (
    TelegramSender,
    ZaloSender,
    channel_senders,
    own_senders,
    zalo_outcome,
)
from bot.channels.zalo_api import SendResult
from bot.config import Settings
from bot.storage import Store
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_zalo import FIRST_ACCESS_TOKEN, FakeZalo

# PTB's own RetryAfter constructor warns that retry_after will become a timedelta in v23.
pytestmark = [pytest.mark.asyncio,
              pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")]

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
LINK = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"
IMAGE = "https://stttt.example.gov.vn/anh/dat-dai.jpg"
NEWS = Announcement(
    id=1, title="Từ 01/7 nộp hồ sơ đất đai trực tuyến", body="Không cần đến một cửa.",
    link=LINK, image_url=None, topics=("cchc",), channels=("telegram", "zalo"), status="sending",
    send_at=None, created_by="hoa", approved_by=None, approved_at=None, created_at=NOW,
    updated_at=NOW, started_at=NOW, finished_at=None)
CHAT = 4242


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().serving() as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_zalo() -> Iterator[FakeZalo]:
    with FakeZalo() as fake:
        yield fake


@pytest.fixture
def settings(fake_telegram: FakeTelegram, fake_zalo: FakeZalo, tmp_path) -> Settings:
    fake_telegram.reset()
    fake_zalo.reset()
    return replace(Settings.from_env({}), db_path=tmp_path / "bot.db",
                   telegram_bot_token=fake_telegram.token,
                   telegram_api_base_url=fake_telegram.base_url, zalo_app_id="123",
                   zalo_app_secret=fake_zalo.app_secret, zalo_oa_secret_key="k",
                   zalo_oa_access_token=FIRST_ACCESS_TOKEN, zalo_oa_refresh_token="RT-0",
                   zalo_api_base_url=fake_zalo.url, zalo_oauth_base_url=fake_zalo.url)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store(settings.db_path) as store:
        yield store


@pytest_asyncio.fixture
async def telegram(settings: Settings, text) -> AsyncIterator[TelegramSender]:
    sender = TelegramSender.own(settings, text)
    await sender.start()
    yield sender
    await sender.stop()


@pytest_asyncio.fixture
async def zalo(settings: Settings, store: Store, text) -> AsyncIterator[ZaloSender]:
    sender = ZaloSender.own(settings, store, text)
    await sender.start()
    yield sender
    await sender.stop()


# --- Telegram -------------------------------------------------------------------------------

async def test_telegram_sends_the_text_with_its_buttons(telegram: TelegramSender,
                                                        fake_telegram: FakeTelegram) -> None:
    assert await telegram.send(str(CHAT), NEWS) == Outcome.sent()
    sent, = fake_telegram.sent_messages(CHAT)
    assert sent["text"].startswith(NEWS.title + "\n\n" + NEWS.body)
    assert "parse_mode" not in sent
    rows = sent["reply_markup"]["inline_keyboard"]
    assert rows == [[{"text": "Xem chi tiết", "url": LINK}],
                    [{"text": "🔕 Ngừng nhận tin", "callback_data": "unsub:all"}]]


async def test_telegram_sends_an_image_as_a_photo(telegram: TelegramSender,
                                                  fake_telegram: FakeTelegram) -> None:
    assert await telegram.send(str(CHAT), replace(NEWS, image_url=IMAGE)) == Outcome.sent()
    call, = fake_telegram.calls_to("sendPhoto")
    assert call.ok and call.params["photo"] == IMAGE
    assert call.params["caption"].startswith(NEWS.title)
    assert fake_telegram.sent_messages(CHAT) == []


async def test_an_image_telegram_cannot_fetch_goes_as_a_link_preview(
        telegram: TelegramSender, fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendPhoto", 400,
                            description="Bad Request: failed to get HTTP URL content")
    news = replace(NEWS, image_url=IMAGE)
    assert await telegram.send(str(CHAT), news) == Outcome.sent()
    assert await telegram.send(str(CHAT + 1), news) == Outcome.sent()
    assert len(fake_telegram.calls_to("sendPhoto")) == 1  # not tried again for this one
    for chat in (CHAT, CHAT + 1):
        sent, = fake_telegram.sent_messages(chat)
        assert sent["link_preview_options"]["url"] == IMAGE


async def test_a_telegram_user_who_blocked_the_bot_is_blocked(
        telegram: TelegramSender, fake_telegram: FakeTelegram) -> None:
    fake_telegram.block(CHAT)
    outcome = await telegram.send(str(CHAT), NEWS)
    assert outcome.status == "blocked" and outcome.unreachable
    assert "403" in outcome.reason


async def test_telegram_429_asks_to_wait_retry_after(telegram: TelegramSender,
                                                     fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", 429, retry_after=7)
    outcome = await telegram.send(str(CHAT), NEWS)
    assert (outcome.status, outcome.pause, outcome.channel_wide) == ("retry", 7.0, True)
    assert fake_telegram.sent_messages(CHAT) == []


async def test_telegram_400_fails_with_telegrams_words(telegram: TelegramSender,
                                                       fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", 400)
    outcome = await telegram.send(str(CHAT), NEWS)
    assert outcome == Outcome.failed("Telegram 400: Chat not found")


async def test_telegram_unreachable_is_a_network_error_to_try_again(settings: Settings,
                                                                    text) -> None:
    nobody = replace(settings, telegram_api_base_url=f"http://127.0.0.1:{_closed_port()}")
    sender = TelegramSender.own(nobody, text)
    await sender.bot.request.initialize()
    try:
        outcome = await sender.send(str(CHAT), NEWS)
    finally:
        await sender.bot.request.shutdown()
    assert outcome.status == "retry" and not outcome.channel_wide


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Zalo -----------------------------------------------------------------------------------

async def test_zalo_sends_a_promotion_message(zalo: ZaloSender, fake_zalo: FakeZalo) -> None:
    assert await zalo.send("z1", NEWS) == Outcome.sent()
    promotion, = fake_zalo.promotions("z1")
    assert promotion.text.startswith(NEWS.title)
    assert "hủy nhận tin" in promotion.text
    assert fake_zalo.delivered("z1") == [promotion.text]


async def test_a_zalo_user_who_unfollowed_is_blocked(zalo: ZaloSender,
                                                     fake_zalo: FakeZalo) -> None:
    fake_zalo.unfollow("z1")
    outcome = await zalo.send("z1", NEWS)
    assert outcome.status == "blocked" and outcome.unreachable
    assert outcome.reason.startswith("Zalo -213")


async def test_zalo_at_night_holds_the_copy(zalo: ZaloSender, fake_zalo: FakeZalo) -> None:
    fake_zalo.fail_next(1, -234)
    outcome = await zalo.send("z1", NEWS)
    assert (outcome.status, outcome.rule) == ("held", "night")


async def test_zalo_refreshes_an_expired_token_for_promotions_too(
        zalo: ZaloSender, fake_zalo: FakeZalo) -> None:
    fake_zalo.revoke(FIRST_ACCESS_TOKEN)
    assert await zalo.send("z1", NEWS) == Outcome.sent()
    assert [call.ok for call in fake_zalo.refreshes] == [True]


@pytest.mark.parametrize(("result", "status", "unreachable"), [
    (SendResult(True), "sent", False),
    (SendResult(False, -213, "not a follower"), "blocked", True),
    (SendResult(False, -230, "no interaction"), "failed", True),
    (SendResult(False, -227, "inactive"), "failed", True),
    (SendResult(False, -234, "night"), "held", False),
    (SendResult(False, -211, "quota"), "held", False),
    (SendResult(False, -32, "rate"), "retry", False),
    (SendResult(False, None, "ConnectError: refused", unsent=True), "retry", False),
    (SendResult(False, None, "ReadTimeout: "), "failed", False),
    (SendResult(False, -201, "invalid"), "failed", False),
])
async def test_what_zalos_answers_become(result: SendResult, status: str,
                                         unreachable: bool) -> None:
    outcome = zalo_outcome(result)
    assert (outcome.status, outcome.unreachable) == (status, unreachable)


@pytest.mark.slow
async def test_own_senders_follow_the_configured_channels(settings: Settings, store: Store,
                                                          text) -> None:
    async with own_senders(settings, store, text) as senders:
        assert set(senders) == {"telegram", "zalo"}
    only_telegram = replace(settings, zalo_app_id=None)
    async with own_senders(only_telegram, store, text) as senders:
        assert set(senders) == {"telegram"}


# --- with PTB's rate limiter, as in `bot serve` ----------------------------------------------

@pytest.mark.slow
async def test_ptbs_retries_and_the_broadcasters_together_send_one_copy(
        settings: Settings, store: Store, fake_telegram: FakeTelegram, text) -> None:
    """The channel's bot retries a 429 itself (AIORateLimiter, 3 times); when Telegram still
    refuses, the broadcaster waits and sends the same copy again: one copy in the end."""
    from telegram.ext import AIORateLimiter, ExtBot

    from bot.broadcast.announcements import Announcements
    from bot.broadcast.delivery import Broadcaster, ChannelRules
    from bot.channels.telegram_http import AiohttpRequest
    from tests.broadcast.support import scheduled, subscribe

    base = settings.telegram_api_base_url
    bot = ExtBot(settings.telegram_bot_token, base_url=f"{base}/bot",
                 request=AiohttpRequest(8), rate_limiter=AIORateLimiter(max_retries=3))
    await bot.initialize()
    subscribe(store, "telegram", [CHAT, CHAT + 1])
    board = Announcements(store)
    announcement_id = scheduled(board, channels=["telegram"])
    fake_telegram.fail_next("sendMessage", 429, 5, retry_after=1, chat_id=CHAT)
    caster = Broadcaster(store, board, channel_senders(text, telegram_bot=bot),
                         rules={"telegram": ChannelRules(1000, 1)}, poll_seconds=0.05)
    try:
        await caster.run(until_done=True)
    finally:
        await bot.shutdown()
    assert len(fake_telegram.sent_messages(CHAT)) == 1
    assert len(fake_telegram.sent_messages(CHAT + 1)) == 1
    refusals = [call for call in fake_telegram.calls_to("sendMessage") if not call.ok]
    assert len(refusals) == 5
    assert board.progress(announcement_id).by_status == {"sent": 2}
