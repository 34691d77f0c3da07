"""The Zalo channel (bot/channels/zalo.py) end to end: signed webhook events in, over a real
Dialogue and a database file; replies out over real HTTP to the fake OA API and OAuth server
(tests/channels/fake_zalo.py). One test per behaviour.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from bot.channels.zalo import ZaloChannel, ZaloSetupError, event_signature, zalo_routes
from bot.channels.zalo_render import MAX_TEXT_CHARS
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Button, Incoming, Reply
from bot.storage import Store
from knowledge.base import Knowledge
from tests.channels.fake_zalo import FIRST_ACCESS_TOKEN, FakeZalo

pytestmark = pytest.mark.asyncio

APP_ID = "3608465248940903967"
OA_SECRET_KEY = "oa-secret-key"
USER = "2468458835296117922"
# What the channel says under its numbered choices (texts.yaml: zalo.pick_a_number).
PICK_A_NUMBER = "Nhắn số để chọn"
FEE_QUESTION = "lệ phí làm căn cước"
CONTENT = "Đèn đường ở tổ 5 phường An Bình hỏng đã hai tuần"
PHOTO_URL = "https://photo-talk.zdn.vn/2/abc/anh-den-duong.jpg"


@pytest.fixture(scope="module")
def fake() -> FakeZalo:
    with FakeZalo() as zalo:
        yield zalo


@pytest.fixture
def zalo(fake: FakeZalo) -> FakeZalo:
    fake.reset()
    return fake


def settings_for(zalo: FakeZalo, **changes: object) -> Settings:
    values: dict[str, Any] = {
        "flood_messages": 1_000_000_000, "zalo_app_id": APP_ID,
        "zalo_app_secret": zalo.app_secret, "zalo_oa_secret_key": OA_SECRET_KEY,
        "zalo_oa_access_token": FIRST_ACCESS_TOKEN, "zalo_oa_refresh_token": "RT-0",
        "zalo_api_base_url": zalo.url, "zalo_oauth_base_url": zalo.url}
    return replace(Settings.from_env({}), **{**values, **changes})


@dataclass
class Bot:
    channel: ZaloChannel
    store: Store
    db_path: Path


async def started(knowledge: Knowledge, zalo: FakeZalo, db_path: Path,
                  wrap: Callable[[Dialogue], Any] | None = None, **changes: object) -> Bot:
    settings = settings_for(zalo, **changes)
    store = Store(db_path)
    dialogue = Dialogue(knowledge, store, settings)
    channel = ZaloChannel(wrap(dialogue) if wrap else dialogue, settings)
    await channel.start()
    return Bot(channel, store, db_path)


@pytest_asyncio.fixture
async def bot(knowledge: Knowledge, zalo: FakeZalo, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = await started(knowledge, zalo, tmp_path / "bot.db")
    yield bot
    await bot.channel.stop()
    bot.store.close()


# --- events -------------------------------------------------------------------------------

_msg_ids = iter(range(1, 1_000_000))


def now_ms() -> int:
    return int(time.time() * 1000)


def event(kind: str, user: str = USER, *, timestamp: int | None = None, **message: object
          ) -> dict:
    """A user-to-OA event as Zalo posts it (all ids and the timestamp are strings)."""
    stamp = str(timestamp if timestamp is not None else now_ms())
    if kind in ("follow", "unfollow"):
        return {"oa_id": "388613280878808645", "follower": {"id": user}, "event_name": kind,
                "source": "oa_profile", "app_id": APP_ID, "user_id_by_app": "55",
                "timestamp": stamp}
    return {"app_id": APP_ID, "sender": {"id": user}, "recipient": {"id": "388613280878808645"},
            "event_name": kind, "message": {"msg_id": f"msg{next(_msg_ids)}", **message},
            "timestamp": stamp}


def text_event(text: str, user: str = USER, **kwargs: object) -> dict:
    return event("user_send_text", user, text=text, **kwargs)


def encode(evt: dict) -> bytes:
    return json.dumps(evt, ensure_ascii=False).encode()


def signed(body: bytes, timestamp: str) -> dict[str, str]:
    return {"X-ZEvent-Signature": event_signature(APP_ID, body, timestamp, OA_SECRET_KEY),
            "Content-Type": "application/json"}


async def post(channel: ZaloChannel, evt: dict) -> tuple[int, dict]:
    body = encode(evt)
    return await channel.handle_webhook(signed(body, evt["timestamp"]), body)


async def say(bot: Bot, evt: dict) -> None:
    """Posts an event and waits until its replies are sent."""
    status, answer = await post(bot.channel, evt)
    assert (status, answer) == (200, {"status": "accepted"})
    await bot.channel.drain()


def choice_number(bot: Bot, payload: str, user: str = USER) -> str:
    row = bot.store.db.execute(
        "SELECT number FROM zalo_choices WHERE user_id = ? AND payload = ?", [user, payload]
    ).fetchone()
    assert row is not None, f"no choice {payload!r} was offered"
    return str(row[0])


# --- the webhook --------------------------------------------------------------------------

async def test_a_signed_text_event_is_answered_at_once_and_the_reply_sent(
        bot: Bot, zalo: FakeZalo) -> None:
    app = Starlette(routes=zalo_routes(bot.channel))
    gate = zalo.hold_sends()   # Zalo is slow: the replies cannot go out yet
    evt = text_event(FEE_QUESTION)
    body = encode(evt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bot.test") as client:
        response = await client.post("/webhooks/zalo", content=body,
                                     headers=signed(body, evt["timestamp"]))
    assert (response.status_code, response.json()) == (200, {"status": "accepted"})
    assert zalo.sent == []
    gate.set()
    await bot.channel.drain()
    texts = zalo.delivered(USER)
    assert "Cấp thẻ căn cước" in texts[0] and "1.014061" in texts[0]
    assert "\n1. " in texts[0]
    assert texts[-1].endswith(PICK_A_NUMBER)
    assert {m.access_token for m in zalo.sent} == {FIRST_ACCESS_TOKEN}
    assert bot.store.user("zalo", USER) is not None


@pytest.mark.parametrize("tamper", ["forged", "missing", "stale", "future", "other body"])
async def test_forged_unsigned_and_stale_events_are_refused(bot: Bot, zalo: FakeZalo,
                                                            tamper: str) -> None:
    timestamp = {"stale": now_ms() - 6 * 60 * 1000,
                 "future": now_ms() + 2 * 60 * 1000}.get(tamper)
    evt = text_event(FEE_QUESTION, timestamp=timestamp)
    body = encode(evt)
    headers = signed(body, evt["timestamp"])
    if tamper == "forged":
        headers["X-ZEvent-Signature"] = event_signature(APP_ID, body, evt["timestamp"], "guess")
    elif tamper == "missing":
        del headers["X-ZEvent-Signature"]
    elif tamper == "other body":
        body = encode({**evt, "sender": {"id": "someone-else"}})
    status, answer = await bot.channel.handle_webhook(headers, body)
    await bot.channel.drain()
    assert status == 401 and "error" in answer
    assert zalo.sent == []
    assert bot.store.db.execute("SELECT count(*) FROM webhook_events").fetchone()[0] == 0


async def test_a_body_that_is_not_an_event_is_a_bad_request(bot: Bot, zalo: FakeZalo) -> None:
    for body in (b"not json", b"[1, 2]", json.dumps({"event_name": "follow"}).encode()):
        status, _ = await bot.channel.handle_webhook(signed(body, "0"), body)
        assert status == 400
    assert zalo.sent == []


async def test_the_same_event_delivered_twice_is_answered_once_even_after_a_restart(
        knowledge: Knowledge, bot: Bot, zalo: FakeZalo) -> None:
    evt = text_event(FEE_QUESTION)
    assert await post(bot.channel, evt) == (200, {"status": "accepted"})
    assert await post(bot.channel, evt) == (200, {"status": "duplicate"})
    await bot.channel.drain()
    once = list(zalo.sent)
    assert once and len(zalo.delivered(USER)) == len(once)

    again = await started(knowledge, zalo, bot.db_path)   # another worker, or after a restart
    try:
        assert await post(again.channel, evt) == (200, {"status": "duplicate"})
        await again.channel.drain()
    finally:
        await again.channel.stop()
        again.store.close()
    assert zalo.sent == once
    asked = bot.store.db.execute(
        "SELECT count(*) FROM messages WHERE direction = 'in' AND user_id = ?", [USER]
    ).fetchone()[0]
    assert asked == 1


async def test_follow_sends_the_greeting_and_the_main_menu(bot: Bot, zalo: FakeZalo, t) -> None:
    await say(bot, event("follow"))
    [welcome] = zalo.delivered(USER)
    assert welcome.startswith(f"{t('greeting')}\n\n{t('menu_title')}\n\n1. {t('menu.topics')}")
    assert welcome.endswith(PICK_A_NUMBER)


async def test_unfollow_marks_the_user_unreachable(bot: Bot, zalo: FakeZalo) -> None:
    await say(bot, text_event("xin chào"))
    assert not bot.store.user("zalo", USER).unreachable
    sent = len(zalo.sent)
    await say(bot, event("unfollow"))
    assert bot.store.user("zalo", USER).unreachable
    assert len(zalo.sent) == sent   # nothing is sent to someone who left


@pytest.mark.slow
async def test_an_image_in_the_petition_attachments_step_is_kept(bot: Bot, zalo: FakeZalo,
                                                                 t) -> None:
    await say(bot, event("follow"))
    await say(bot, text_event(choice_number(bot, "menu:petition")))
    await say(bot, text_event(choice_number(bot, "flow:choice:yes")))
    await say(bot, text_event(CONTENT))
    for _optional in ("agency", "place", "procedure"):
        await say(bot, text_event(choice_number(bot, "flow:skip")))
    assert bot.store.session("zalo", USER).step == "attachments"
    assert zalo.delivered(USER)[-1].startswith(t("petition.ask_attachments"))

    photo = {"type": "image", "payload": {"thumbnail": PHOTO_URL + "?thumb", "url": PHOTO_URL}}
    await say(bot, event("user_send_image", text="", attachments=[photo]))
    assert bot.store.session("zalo", USER).step == "name"
    await say(bot, text_event("Nguyễn Văn An"))
    await say(bot, text_event("0912 345 678"))
    await say(bot, text_event(choice_number(bot, "flow:choice:send")))

    [petition] = bot.store.petitions_of("zalo", USER)
    assert petition.attachments == [{"name": "anh-den-duong.jpg", "mime": "image/jpeg",
                                     "size": None, "ref": PHOTO_URL}]
    assert petition.code in zalo.delivered(USER)[-1]


async def test_a_pdf_file_becomes_an_attachment_with_its_size(bot: Bot, zalo: FakeZalo) -> None:
    seen: list[Incoming] = []
    handle = bot.channel.dialogue.handle
    bot.channel.dialogue.handle = lambda incoming: seen.append(incoming) or handle(incoming)
    pdf = {"type": "file", "payload": {"url": "https://f.zdn.vn/x/don.pdf?sig=1",
                                       "size": "92675", "name": "Đơn kiến nghị.pdf",
                                       "type": "pdf", "checksum": "c"}}
    await say(bot, event("user_send_file", attachments=[pdf]))
    assert seen[0].extras == {"attachments": [{"name": "Đơn kiến nghị.pdf",
                                               "mime": "application/pdf", "size": 92675,
                                               "ref": "https://f.zdn.vn/x/don.pdf?sig=1"}]}
    assert zalo.delivered(USER)   # outside a petition the dialogue answers it politely


@pytest.mark.parametrize("kind", ["user_send_sticker", "user_send_gif", "user_send_location",
                                  "user_send_audio", "user_send_video", "user_send_link"])
async def test_what_cannot_be_read_gets_a_polite_reply(bot: Bot, zalo: FakeZalo, t,
                                                       kind: str) -> None:
    await say(bot, event(kind, attachments=[{"type": kind.removeprefix("user_send_"),
                                             "payload": {"id": "x", "url": "https://z/x"}}]))
    assert zalo.delivered(USER) == [t("zalo.unsupported")]


async def test_a_number_picks_the_choice_offered_last(bot: Bot, zalo: FakeZalo, t) -> None:
    await say(bot, event("follow"))
    await say(bot, text_event(choice_number(bot, "menu:topics")))
    assert zalo.delivered(USER)[-1].startswith(t("menu.topics_intro"))
    # A number that was not offered is just text.
    await say(bot, text_event("99"))
    assert not zalo.delivered(USER)[-1].startswith(t("menu.topics_intro"))
    asked = [row[0] for row in bot.store.db.execute(
        "SELECT text FROM messages WHERE direction = 'in' ORDER BY id")]
    assert asked == ["[button] menu", "[button] menu:topics", "99"]


@pytest.mark.slow
async def test_a_rating_score_typed_as_a_number_is_that_score(bot: Bot, zalo: FakeZalo) -> None:
    await say(bot, event("follow"))
    await say(bot, text_event(choice_number(bot, "menu:rate")))
    await say(bot, text_event(choice_number(bot, "flow:choice:visit")))
    # The score choices are labelled "5 – ...", "4 – "...: "5" is five stars, not line five.
    assert choice_number(bot, "flow:choice:5") == "5"
    await say(bot, text_event("5"))
    await say(bot, text_event(choice_number(bot, "flow:skip")))
    score = bot.store.db.execute("SELECT score FROM ratings").fetchone()[0]
    assert score == 5


class LongAnswers:
    """The real dialogue's store and knowledge, answering everything at great length."""

    TEXT = "\n\n".join(
        [f"Đoạn {i}: " + " ".join(["Giấy tờ cần có."] * 70) for i in range(3)]
        + ["Một câu rất dài " + "không dừng " * 300])

    def __init__(self, dialogue: Dialogue) -> None:
        self.store, self.knowledge = dialogue.store, dialogue.knowledge

    def handle(self, incoming: Incoming) -> list[Reply]:
        self.store.touch_user(incoming.channel, incoming.user)
        return [Reply(self.TEXT, (Button("Menu", "menu"),))]


@pytest_asyncio.fixture
async def long_bot(knowledge: Knowledge, zalo: FakeZalo, tmp_path: Path) -> AsyncIterator[Bot]:
    bot = await started(knowledge, zalo, tmp_path / "bot.db", wrap=LongAnswers)
    yield bot
    await bot.channel.stop()
    bot.store.close()


@pytest.mark.slow
async def test_long_answers_are_split_within_zalos_limit(long_bot: Bot, zalo: FakeZalo) -> None:
    await say(long_bot, text_event("?"))
    texts = zalo.delivered(USER)
    assert len(texts) >= 3 and len(texts) == len(zalo.sent)   # the fake refuses > 2,000
    assert all(len(text) <= MAX_TEXT_CHARS for text in texts)
    assert " ".join(" ".join(texts).split()) == " ".join(
        f"{LongAnswers.TEXT} 1. Menu {PICK_A_NUMBER}".split())
    assert texts[0].endswith("Giấy tờ cần có.")


# --- tokens and errors --------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("expired", [-216, -220, -124])
async def test_an_expired_token_is_refreshed_once_stored_first_and_the_send_retried(
        bot: Bot, zalo: FakeZalo, expired: int) -> None:
    tokens_in_db_at_send: list[tuple[str | None, tuple[str, str]]] = []

    def look_at_the_database(sent) -> None:
        with sqlite3.connect(bot.db_path) as conn:
            row = conn.execute("SELECT access_token, refresh_token FROM zalo_tokens").fetchone()
        tokens_in_db_at_send.append((sent.access_token, tuple(row)))

    zalo.on_send = look_at_the_database
    zalo.fail_next(1, expired)
    await say(bot, text_event(FEE_QUESTION))

    [refresh] = zalo.refreshes
    assert (refresh.refresh_token, refresh.app_id, refresh.grant_type, refresh.secret_key,
            refresh.ok) == ("RT-0", APP_ID, "refresh_token", zalo.app_secret, True)
    first, retried, *rest = zalo.sent
    assert (first.access_token, first.error) == (FIRST_ACCESS_TOKEN, expired)
    assert (retried.access_token, retried.error, retried.text) == ("AT-1", 0, first.text)
    assert tokens_in_db_at_send[1] == ("AT-1", ("AT-1", "RT-1"))
    assert all(m.access_token == "AT-1" and m.ok for m in rest)
    delivered = zalo.delivered(USER)
    assert len(delivered) == len(set(delivered)) == len(zalo.sent) - 1
    assert bot.store.failed_deliveries() == []


@pytest.mark.slow
async def test_a_second_refresh_uses_the_new_refresh_token_and_a_restart_keeps_the_pair(
        knowledge: Knowledge, bot: Bot, zalo: FakeZalo) -> None:
    zalo.revoke(FIRST_ACCESS_TOKEN)
    await say(bot, text_event("xin chào"))
    zalo.revoke("AT-1")
    await say(bot, text_event("cảm ơn"))
    assert [r.refresh_token for r in zalo.refreshes] == ["RT-0", "RT-1"]
    assert all(r.ok for r in zalo.refreshes)
    tokens = bot.store.zalo_tokens(APP_ID)
    assert (tokens.access_token, tokens.refresh_token) == ("AT-2", "RT-2")

    again = await started(knowledge, zalo, bot.db_path)   # the environment still says AT-0
    try:
        await say(again, text_event("tạm biệt"))
    finally:
        await again.channel.stop()
        again.store.close()
    assert zalo.sent[-1].access_token == "AT-2" and zalo.sent[-1].ok
    assert len(zalo.refreshes) == 2


async def test_expiries_seen_at_once_refresh_the_token_once(bot: Bot, zalo: FakeZalo) -> None:
    zalo.revoke(FIRST_ACCESS_TOKEN)
    users = [f"u{i}" for i in range(5)]
    for user in users:
        assert (await post(bot.channel, text_event("xin chào", user)))[0] == 200
    await bot.channel.drain()
    assert [r.refresh_token for r in zalo.refreshes] == ["RT-0"]
    assert all(zalo.delivered(user) for user in users)
    assert bot.store.failed_deliveries() == []


async def test_a_new_token_pair_in_the_environment_wins_over_the_database(
        knowledge: Knowledge, bot: Bot, zalo: FakeZalo) -> None:
    zalo.revoke(FIRST_ACCESS_TOKEN)
    await say(bot, text_event("xin chào"))
    assert bot.store.zalo_tokens(APP_ID).access_token == "AT-1"
    again = await started(knowledge, zalo, bot.db_path, zalo_oa_access_token="AT-from-admin",
                          zalo_oa_refresh_token="RT-from-admin")
    try:
        assert again.channel.api.access_token == "AT-from-admin"
    finally:
        await again.channel.stop()
        again.store.close()


async def test_a_rate_limited_send_is_sent_again_after_a_pause(bot: Bot, zalo: FakeZalo
                                                               ) -> None:
    bot.channel.api.rate_limit_pauses = (0.0, 0.0)
    zalo.fail_next(2, -32)
    await say(bot, text_event("xin chào"))
    assert [m.error for m in zalo.sent] == [-32, -32, 0]
    assert bot.store.failed_deliveries() == []


@pytest.mark.slow
async def test_a_refresh_another_worker_made_first_is_used(knowledge: Knowledge, bot: Bot,
                                                           zalo: FakeZalo) -> None:
    other = await started(knowledge, zalo, bot.db_path)
    try:
        zalo.revoke(FIRST_ACCESS_TOKEN)
        await say(other, text_event("xin chào", "someone-else"))   # the other worker refreshes
        await say(bot, text_event("xin chào"))
    finally:
        await other.channel.stop()
        other.store.close()
    assert [r.refresh_token for r in zalo.refreshes] == ["RT-0"]
    assert zalo.delivered(USER) and zalo.sent[-1].access_token == "AT-1"
    assert bot.store.failed_deliveries() == []


async def test_outside_the_messaging_window_the_failed_delivery_is_recorded(
        long_bot: Bot, zalo: FakeZalo) -> None:
    zalo.fail_next(1, -230)
    await say(long_bot, text_event("?"))
    [refused] = zalo.sent   # the rest of the turn is not tried
    failed = long_bot.store.failed_deliveries("zalo", USER)
    assert len(failed) >= 3 and all(f.error_code == -230 for f in failed)
    assert failed[-1].text == refused.text
    assert "7 days" in failed[-1].error_message
    assert long_bot.store.user("zalo", USER).unreachable
    assert not zalo.refreshes


@pytest.mark.slow
async def test_other_errors_are_logged_with_their_meaning(long_bot: Bot, zalo: FakeZalo,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    zalo.fail_next(1, -201)
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo"):
        await say(long_bot, text_event("?"))
    assert "-201 (invalid parameter)" in caplog.text
    [failed] = long_bot.store.failed_deliveries("zalo", USER)
    assert failed.error_code == -201 and failed.text == zalo.sent[0].text
    assert len(zalo.delivered(USER)) == len(zalo.sent) - 1 >= 2   # the others went out
    assert not long_bot.store.user("zalo", USER).unreachable


async def test_a_refresh_token_works_once_at_the_fake(zalo: FakeZalo) -> None:
    form = {"refresh_token": "RT-0", "app_id": APP_ID, "grant_type": "refresh_token"}
    async with httpx.AsyncClient(base_url=zalo.url) as client:
        first = await client.post("/v4/oa/access_token", data=form,
                                  headers={"secret_key": zalo.app_secret})
        second = await client.post("/v4/oa/access_token", data=form,
                                   headers={"secret_key": zalo.app_secret})
    assert first.json()["access_token"] == "AT-1" and first.json()["refresh_token"] == "RT-1"
    assert "access_token" not in second.json() and second.json()["error"] < 0


@pytest.mark.parametrize(("missing", "change"), [
    ("ZALO_APP_ID", {"zalo_app_id": None}),
    ("ZALO_OA_SECRET_KEY", {"zalo_oa_secret_key": None}),
    ("ZALO_OA_ACCESS_TOKEN", {"zalo_oa_access_token": None}),
])
async def test_missing_configuration_is_named(knowledge: Knowledge, zalo: FakeZalo,
                                              tmp_path: Path, missing: str, change: dict
                                              ) -> None:
    settings = settings_for(zalo, **change)
    with Store(tmp_path / "bot.db") as store:
        channel = ZaloChannel(Dialogue(knowledge, store, settings), settings)
        with pytest.raises(ZaloSetupError, match=missing):
            await channel.start()
        status, _ = await channel.handle_webhook({}, b"{}")
        assert status == 503
        await channel.stop()


@pytest.mark.slow
async def test_a_follow_up_on_zalo_is_read_against_the_last_answer(bot: Bot, zalo: FakeZalo,
                                                                   t) -> None:
    await say(bot, text_event("đăng ký khai sinh cho con"))
    before = len(zalo.delivered(USER))
    await say(bot, text_event("mat bao lau"))
    replies = zalo.delivered(USER)[before:]
    assert any(t("heading.duration") in text and "1.001193" in text for text in replies)
    before = len(zalo.delivered(USER))
    await say(bot, text_event("thế còn người nước ngoài?"))
    replies = zalo.delivered(USER)[before:]
    assert any(t("follow_up.sibling") in text and "2.000528" in text for text in replies)
