"""How an announcement looks on each channel (bot/broadcast/render.py), and its preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.broadcast.announcements import Announcement
from bot.broadcast.render import (
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    UNSUBSCRIBE_PAYLOAD,
    ZALO_TEXT_LIMIT,
    preview,
    telegram_message,
    zalo_message,
)
from bot.dialogue import offline_dialogue
from bot.messages import Incoming
from knowledge.base import Knowledge

LINK = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"
IMAGE = "https://stttt.example.gov.vn/anh/dat-dai.jpg"
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
ANNOUNCEMENT = Announcement(
    id=7, title="Từ 01/7 nộp hồ sơ đất đai trực tuyến",
    body="Người dân nộp hồ sơ đăng ký đất đai trên Cổng dịch vụ công quốc gia.\nKhông cần "
         "đến bộ phận một cửa.",
    link=LINK, image_url=None, topics=("cchc",), channels=("telegram", "zalo"),
    status="draft", send_at=None, created_by="hoa", approved_by=None, approved_at=None,
    created_at=NOW, updated_at=NOW, started_at=None, finished_at=None)
LONG_BODY = ("Thủ tục đăng ký biến động đất đai được thực hiện trực tuyến toàn trình. " * 60)[:3000]


def test_telegram_has_the_title_first_then_the_text_and_the_link(text) -> None:
    message = telegram_message(ANNOUNCEMENT, text)
    lines = message.text.split("\n")
    assert lines[0] == ANNOUNCEMENT.title
    assert ANNOUNCEMENT.body in message.text
    assert message.text.endswith(text("broadcast.link_line", url=LINK))
    assert not message.as_photo


def test_telegram_offers_the_link_and_unsubscribing_as_buttons(text) -> None:
    buttons = telegram_message(ANNOUNCEMENT, text).buttons
    assert [(b.label, b.url, b.payload) for b in buttons] == [
        (text("broadcast.link_button"), LINK, None),
        ("🔕 Ngừng nhận tin", None, UNSUBSCRIBE_PAYLOAD)]
    without_link = telegram_message(replace(ANNOUNCEMENT, link=None), text)
    assert [b.payload for b in without_link.buttons] == [UNSUBSCRIBE_PAYLOAD]
    assert "🔗" not in without_link.text


def test_telegram_sends_an_image_as_a_photo_with_the_text_as_caption(text) -> None:
    message = telegram_message(replace(ANNOUNCEMENT, image_url=IMAGE), text)
    assert message.as_photo
    assert message.image_url == IMAGE
    assert len(message.text) <= TELEGRAM_CAPTION_LIMIT


def test_telegram_shows_the_image_as_link_preview_when_the_caption_would_be_too_long(
        text) -> None:
    message = telegram_message(replace(ANNOUNCEMENT, image_url=IMAGE, body=LONG_BODY), text)
    assert not message.as_photo
    assert message.image_url == IMAGE
    assert LONG_BODY in message.text
    assert len(message.text) <= TELEGRAM_TEXT_LIMIT


def test_a_text_too_long_for_telegram_is_cut_at_a_word_and_keeps_its_link(text) -> None:
    message = telegram_message(replace(ANNOUNCEMENT, body="chữ " * 2000), text)
    assert message.shortened
    assert len(message.text) <= TELEGRAM_TEXT_LIMIT
    assert "chữ…" in message.text
    assert message.text.endswith(text("broadcast.link_line", url=LINK))


def test_zalo_is_plain_text_with_the_link_and_how_to_stop(text) -> None:
    message = zalo_message(ANNOUNCEMENT, text)
    assert message.text.startswith(ANNOUNCEMENT.title + "\n\n" + ANNOUNCEMENT.body)
    assert text("broadcast.link_line", url=LINK) in message.text
    assert message.text.endswith("Nhắn «hủy nhận tin» để ngừng nhận tin.")
    assert len(message.text) <= ZALO_TEXT_LIMIT + len(ANNOUNCEMENT.title) + 2


def test_zalo_sends_a_promotion_template(text) -> None:
    message = zalo_message(replace(ANNOUNCEMENT, image_url=IMAGE), text).message
    template = message["attachment"]["payload"]
    assert message["attachment"]["type"] == "template"
    assert template["template_type"] == "promotion"
    elements = {element["type"]: element for element in template["elements"]}
    assert elements["banner"]["image_url"] == IMAGE
    assert elements["header"]["content"] == ANNOUNCEMENT.title
    assert "<br>" in elements["text"]["content"] and "\n" not in elements["text"]["content"]
    assert len(elements["text"]["content"]) <= ZALO_TEXT_LIMIT + 200  # "<br>" for "\n"
    assert [(b["type"], b["payload"]) for b in template["buttons"]] == [
        ("oa.open.url", {"url": LINK}), ("oa.query.show", "hủy nhận tin")]


def test_a_text_too_long_for_zalo_is_cut_and_the_preview_says_so(text) -> None:
    long = replace(ANNOUNCEMENT, body=LONG_BODY)
    message = zalo_message(long, text)
    assert message.shortened
    body = message.text.removeprefix(long.title + "\n\n")
    assert len(body) <= ZALO_TEXT_LIMIT
    assert body.endswith("Nhắn «hủy nhận tin» để ngừng nhận tin.")
    notes = preview(long, text)["zalo"][0]["notes"]
    assert any("2.000" in note for note in notes)


@pytest.mark.parametrize("phrase", ["hủy nhận tin", "huy nhan tin"])
def test_the_dialogue_takes_the_zalo_stop_phrase_as_unsubscribing(knowledge: Knowledge,
                                                                  phrase: str) -> None:
    dialogue = offline_dialogue(knowledge)
    dialogue.store.set_topics("zalo", "z1", ["cchc", "dich-vu-cong"])
    replies = dialogue.handle(Incoming("zalo", "z1", text=phrase))
    assert dialogue.store.user("zalo", "z1").topics == []
    assert replies[0].text == knowledge.handkept.text("unsubscribe_intro")


def test_the_telegram_button_unsubscribes_from_everything(knowledge: Knowledge) -> None:
    dialogue = offline_dialogue(knowledge)
    dialogue.store.set_topics("telegram", "42", ["cchc"])
    dialogue.handle(Incoming("telegram", "42", button=UNSUBSCRIBE_PAYLOAD))
    assert dialogue.store.user("telegram", "42").topics == []


def test_the_preview_shows_each_channel_of_the_announcement(text) -> None:
    shown = preview(replace(ANNOUNCEMENT, image_url=IMAGE), text)
    assert set(shown) == {"telegram", "zalo"}
    telegram, = shown["telegram"]
    assert telegram["kind"] == "photo" and telegram["image_url"] == IMAGE
    assert telegram["text"].startswith(ANNOUNCEMENT.title)
    assert telegram["buttons"] == [{"label": "Xem chi tiết", "url": LINK},
                                   {"label": "🔕 Ngừng nhận tin", "payload": "unsub:all"}]
    zalo, = shown["zalo"]
    assert zalo["kind"] == "promotion"
    assert zalo["buttons"][-1] == {"label": "🔕 Ngừng nhận tin", "payload": "hủy nhận tin"}
    assert any("22:00" in note for note in zalo["notes"])
    assert set(preview(replace(ANNOUNCEMENT, channels=("zalo",)), text)) == {"zalo"}


def test_the_preview_warns_when_the_image_cannot_be_a_caption(text) -> None:
    shown = preview(replace(ANNOUNCEMENT, image_url=IMAGE, body=LONG_BODY), text)
    telegram, = shown["telegram"]
    assert telegram["kind"] == "text"
    assert any("1.024" in note for note in telegram["notes"])


def test_every_broadcast_text_exists_in_both_languages(text) -> None:
    from knowledge.handkept.model import load_handkept

    texts = load_handkept().texts
    keys = [key for key in texts if key.startswith("broadcast.")]
    assert len(keys) >= 8
    for key in keys:
        assert texts[key]["vi"].strip() and texts[key]["en"].strip()
