"""How a dialogue Reply becomes Telegram messages: text split to fit, buttons as a keyboard.

Example:
    payloads = CallbackPayloads()
    for message in render_reply(Reply("Xin chào", (Button("☰ Danh mục", "menu"),)), payloads):
        await bot.send_message(chat_id, message.text, reply_markup=message.reply_markup)

A turn's replies are sent as few messages as still read well (render_replies): a reply joins
the message before it when that message has no buttons (its text leads into this one), or when
both are short prompts (the "related procedures" heading and "was this useful?"). Every
message is one Bot API call, and the first is what a citizen sees as the answer's start.

Telegram limits a message to 4096 characters (counted in UTF-16 code units, so an emoji outside
the Basic Multilingual Plane counts twice) and a button's callback_data to 64 bytes. Longer
text is split at the most natural place that fits: a paragraph, then a line, then a sentence,
then a word. A payload longer than 64 bytes is sent as a short key and read back from memory.
No parse_mode is ever used: what a citizen typed is echoed back as plain text, never as markup.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Reply

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# Telegram sets no hard limit on a button's label, but phones cut long ones unreadably.
LABEL_LIMIT = 60
# Telegram refuses an inline keyboard of more than 100 buttons.
KEYBOARD_LIMIT = 100
# A reply this short (a line on a phone) is a prompt or a heading, which may share a message
# with the next one even when it has buttons.
SHORT_TEXT = 100
# Buttons this short, and no more of them than this, sit side by side ("👍 Có", "👎 Chưa").
SHORT_LABEL = 10
BUTTONS_IN_A_ROW = 5
# Sent when a reply has buttons but no text: Telegram refuses an empty message.
EMPTY_TEXT_WITH_BUTTONS = "👇"

# Separators in the order they are preferred; each yields the index where a message may end.
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"[.!?…;][\"'»”’)\]]*(\s)")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`text` as messages of at most `limit` UTF-16 units, cut at natural places.

    Whitespace at a cut is dropped; nothing else is lost. A word longer than `limit` (a very
    long link) is the only thing ever cut in the middle.
    """
    rest = text.strip()
    parts: list[str] = []
    while utf16_len(rest) > limit:
        cut = _cut_position(rest, _fitting_prefix_length(rest, limit))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _fitting_prefix_length(text: str, limit: int) -> int:
    """The number of characters at the start of `text` that fit in `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut_position(text: str, fits: int) -> int:
    """Where to end the next message, given that its first `fits` characters fit."""
    # One character more is searched: a separator right after the fitting part is a fine cut.
    window = text[: fits + 1]
    half = fits // 2
    for separator in (_PARAGRAPH, _LINE, _SENTENCE):
        cut = _last_cut(separator, window, fits, minimum=half)
        if cut is not None:
            return cut
    cut = _last_cut(_SPACE, window, fits, minimum=1)
    if cut is not None:
        return cut
    # A single word longer than a message: cut it, but not between a letter and its accent.
    cut = fits
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut


def _last_cut(separator: re.Pattern[str], window: str, fits: int, minimum: int) -> int | None:
    best = None
    for match in separator.finditer(window):
        cut = match.start(1) if match.re.groups else match.start()
        if minimum <= cut <= fits:
            best = cut
    return best


def short_label(label: str, limit: int = LABEL_LIMIT) -> str:
    """A button label that fits on a phone: cut at a word, with an ellipsis."""
    label = " ".join(label.split()) or "•"
    if len(label) <= limit:
        return label
    cut = label.rfind(" ", 0, limit)
    head = label[:cut] if cut > limit // 2 else label[: limit - 1]
    return head.rstrip(" ,.;:-–") + "…"


class CallbackPayloads:
    """Button payloads as callback_data, which Telegram caps at 64 bytes.

    A short payload is sent as it is. A longer one is sent as "#" and a hash of it, and kept in
    memory (the most recent `capacity` of them) to be read back when the button is pressed;
    after a restart such an old button gets the dialogue's polite "this button is out of date".
    Payloads that start with "#" themselves are always hashed, so they cannot be mistaken.
    """

    PREFIX = "#"

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._long: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._long)

    def pack(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(
                self.PREFIX):
            return payload
        key = self.PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self.capacity:
            self._long.popitem(last=False)
        return key

    def unpack(self, data: str) -> str:
        """The payload behind `data`; unknown keys come back as they are (a stale button)."""
        if data.startswith(self.PREFIX):
            return self._long.get(data, data)
        return data


def render_replies(replies: list[Reply], payloads: CallbackPayloads) -> list[OutgoingMessage]:
    """The Telegram messages for one turn's replies, joined where they read as one."""
    return [message for group in _grouped(replies)
            for message in _render(group.text, _keyboard(group.replies, payloads))]


def render_reply(reply: Reply, payloads: CallbackPayloads) -> list[OutgoingMessage]:
    """The Telegram messages for one reply; the keyboard goes on the last of them."""
    return _render(reply.text, _keyboard((reply,), payloads))


def _render(text: str, keyboard: InlineKeyboardMarkup | None) -> list[OutgoingMessage]:
    texts = split_text(text)
    if not texts:
        if keyboard is None:
            return []
        texts = [EMPTY_TEXT_WITH_BUTTONS]
    last = len(texts) - 1
    return [OutgoingMessage(part, keyboard if index == last else None)
            for index, part in enumerate(texts)]


@dataclass(frozen=True)
class _Group:
    """Replies sent as one message: their texts in turn, their keyboards' rows in turn."""

    replies: tuple[Reply, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(text for reply in self.replies if (text := reply.text.strip()))

    @property
    def has_keyboard(self) -> bool:
        return any(reply.buttons or reply.links for reply in self.replies)


def _grouped(replies: list[Reply]) -> list[_Group]:
    groups: list[_Group] = []
    for reply in replies:
        if groups and _may_join(groups[-1], reply):
            groups[-1] = _Group((*groups[-1].replies, reply))
        else:
            groups.append(_Group((reply,)))
    return groups


def _may_join(group: _Group, reply: Reply) -> bool:
    joined = _Group((*group.replies, reply))
    if utf16_len(joined.text) > MESSAGE_LIMIT:
        return False
    if not group.has_keyboard:
        return True
    # A keyboard stays right under the text it belongs to: only a short prompt may follow.
    return utf16_len(group.text) <= SHORT_TEXT and utf16_len(reply.text) <= SHORT_TEXT


def _keyboard(replies: tuple[Reply, ...],
              payloads: CallbackPayloads) -> InlineKeyboardMarkup | None:
    rows = [row for reply in replies for row in _rows(reply, payloads)]
    if len(rows) > KEYBOARD_LIMIT:
        log.warning("a reply had %d button rows; Telegram shows at most %d", len(rows),
                    KEYBOARD_LIMIT)
        rows = rows[:KEYBOARD_LIMIT]
    return InlineKeyboardMarkup(rows) if rows else None


def _rows(reply: Reply, payloads: CallbackPayloads) -> list[list[InlineKeyboardButton]]:
    buttons = [InlineKeyboardButton(short_label(button.label),
                                    callback_data=payloads.pack(button.payload))
               for button in reply.buttons]
    # One button per row, since labels are long Vietnamese phrases read on narrow phone
    # screens; a few short ones (yes/no, 1 to 5 stars) side by side.
    if 1 < len(buttons) <= BUTTONS_IN_A_ROW and all(
            len(button.label) <= SHORT_LABEL for button in reply.buttons):
        rows = [buttons]
    else:
        rows = [[button] for button in buttons]
    for link in reply.links:
        if link.url.startswith("tel:"):
            continue    # Telegram opens no tel: buttons; it makes the number in the text tappable
        if not link.url.startswith(("https://", "http://")):
            log.warning("link %r left out: Telegram only opens http(s) URLs", link.url)
            continue
        rows.append([InlineKeyboardButton(short_label(link.label), url=link.url)])
    return rows
