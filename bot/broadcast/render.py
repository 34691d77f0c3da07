"""How an announcement looks on each channel: one message per subscriber and channel.

    text = load_handkept().text                  # the locale texts (knowledge/locales)
    telegram_message(announcement, text)         # TelegramMessage: sendPhoto or sendMessage
    zalo_message(announcement, text)             # ZaloMessage: a promotion template
    preview(announcement, text)                  # {"telegram": [{"text", "buttons"...}], ...}

One message each, never several: a copy is then either sent or not, which is what lets the
delivery promise each subscriber the announcement once (bot/broadcast/delivery.py).

Telegram: the title on the first line, the text, the link; plain text (never a parse_mode, so
nothing an officer types is read as markup). With an image, a photo whose caption is that
text when it fits Telegram's 1,024 characters for a caption; otherwise a message (4,096
characters) with the image shown as its link preview above the text. Under it a "Xem chi tiết"
button to the link, and "🔕 Ngừng nhận tin", whose payload `unsub:all` the dialogue already
takes as "unsubscribe from everything".

Zalo: a promotion message ("tin truyền thông", POST /v3.0/oa/message/promotion), the kind an
OA sends to its followers. Its template has the image as a banner, the title as a header and
the text, the link and "Nhắn «hủy nhận tin» để ngừng nhận tin" as a text element of at most
2,000 characters (cut with "…" if longer; the preview says so), and buttons: the link, and
"Ngừng nhận tin", which sends «hủy nhận tin» as the citizen's own message — a phrase the
dialogue understands as unsubscribing. Zalo's template shape (banner, header, text elements;
`oa.open.url` and `oa.query.show` buttons; "<br>" for a line break in a text element) is taken
from Zalo's published samples: Zalo cannot be reached from here to check it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.broadcast.announcements import Announcement

UNSUBSCRIBE_PAYLOAD = "unsub:all"
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
ZALO_TEXT_LIMIT = 2000
ELLIPSIS = "…"

Text = Callable[..., str]


@dataclass(frozen=True)
class TelegramButton:
    label: str
    url: str | None = None
    payload: str | None = None


@dataclass(frozen=True)
class TelegramMessage:
    """sendPhoto(photo=image_url, caption=text) when `as_photo`, else sendMessage(text) with
    `image_url` (if any) as the link preview."""

    text: str
    image_url: str | None
    as_photo: bool
    link: str | None
    buttons: tuple[TelegramButton, ...]
    shortened: bool = False


@dataclass(frozen=True)
class ZaloMessage:
    """`text`: what the citizen reads (the preview); `message`: the promotion's "message"
    object as Zalo's API takes it."""

    text: str
    message: dict[str, Any]
    shortened: bool = False


def telegram_message(announcement: Announcement, text: Text) -> TelegramMessage:
    link_line = text("broadcast.link_line", url=announcement.link) if announcement.link else None
    buttons = []
    if announcement.link:
        buttons.append(TelegramButton(text("broadcast.link_button"), url=announcement.link))
    buttons.append(TelegramButton(text("broadcast.unsubscribe_button"),
                                  payload=UNSUBSCRIBE_PAYLOAD))
    whole = _joined(announcement.title, announcement.body, link_line)
    if announcement.image_url and len(whole) <= TELEGRAM_CAPTION_LIMIT:
        return TelegramMessage(whole, announcement.image_url, True, announcement.link,
                               tuple(buttons))
    fitted, shortened = _fitted(announcement.title, announcement.body, link_line,
                                TELEGRAM_TEXT_LIMIT)
    return TelegramMessage(fitted, announcement.image_url, False, announcement.link,
                           tuple(buttons), shortened)


def zalo_message(announcement: Announcement, text: Text) -> ZaloMessage:
    link_line = text("broadcast.link_line", url=announcement.link) if announcement.link else None
    stop_line = text("broadcast.zalo_stop_line")
    tail = _joined(link_line, stop_line)
    body, shortened = _fitted(None, announcement.body, tail, ZALO_TEXT_LIMIT)
    elements: list[dict[str, Any]] = []
    if announcement.image_url:
        elements.append({"type": "banner", "image_url": announcement.image_url})
    elements.append({"type": "header", "content": announcement.title})
    elements.append({"type": "text", "align": "left", "content": body.replace("\n", "<br>")})
    buttons: list[dict[str, Any]] = []
    if announcement.link:
        buttons.append({"title": text("broadcast.link_button"), "type": "oa.open.url",
                        "payload": {"url": announcement.link}})
    buttons.append({"title": text("broadcast.unsubscribe_button"), "type": "oa.query.show",
                    "payload": text("broadcast.zalo_stop_message")})
    message = {"attachment": {"type": "template", "payload": {
        "template_type": "promotion", "language": "VI", "elements": elements,
        "buttons": buttons}}}
    return ZaloMessage(_joined(announcement.title, body), message, shortened)


def preview(announcement: Announcement, text: Text) -> dict[str, list[dict[str, Any]]]:
    """What each of the announcement's channels will show, for the staff pages and the
    command line: {channel: [{"kind", "text", "image_url", "buttons": [{"label", "url" or
    "payload"}], "notes": [...]}]} (one message per channel)."""
    shown: dict[str, list[dict[str, Any]]] = {}
    if "telegram" in announcement.channels:
        message = telegram_message(announcement, text)
        notes = []
        if message.image_url and not message.as_photo:
            notes.append(text("broadcast.note.photo_as_preview",
                              limit=_number(TELEGRAM_CAPTION_LIMIT)))
        if message.shortened:
            notes.append(text("broadcast.note.shortened", limit=_number(TELEGRAM_TEXT_LIMIT)))
        shown["telegram"] = [{
            "kind": "photo" if message.as_photo else "text", "text": message.text,
            "image_url": message.image_url,
            "buttons": [{"label": b.label, "url": b.url} if b.url else
                        {"label": b.label, "payload": b.payload} for b in message.buttons],
            "notes": notes}]
    if "zalo" in announcement.channels:
        message = zalo_message(announcement, text)
        payload = message.message["attachment"]["payload"]
        notes = [text("broadcast.note.zalo_rules")]
        if message.shortened:
            notes.append(text("broadcast.note.shortened", limit=_number(ZALO_TEXT_LIMIT)))
        shown["zalo"] = [{
            "kind": "promotion", "text": message.text, "image_url": announcement.image_url,
            "buttons": [{"label": b["title"], "url": b["payload"]["url"]}
                        if b["type"] == "oa.open.url" else
                        {"label": b["title"], "payload": b["payload"]}
                        for b in payload["buttons"]],
            "notes": notes}]
    return shown


def _number(value: int) -> str:
    """1024 as Vietnamese write it: 1.024."""
    return f"{value:,}".replace(",", ".")


def _joined(*parts: str | None) -> str:
    return "\n\n".join(part for part in parts if part)


def _fitted(title: str | None, body: str, tail: str | None, limit: int) -> tuple[str, bool]:
    """Title, body and tail joined within `limit` characters, the body cut (at a word, with
    "…") when they would not fit; and whether it was cut."""
    whole = _joined(title, body, tail)
    if len(whole) <= limit:
        return whole, False
    room = limit - len(_joined(title, ELLIPSIS, tail))
    cut = body[:max(room, 0)]
    if " " in cut[len(cut) // 2:]:
        cut = cut[:cut.rindex(" ")]
    return _joined(title, cut.rstrip() + ELLIPSIS, tail)[:limit], True
