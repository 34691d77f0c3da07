"""How the dialogue's replies look on Zalo: plain text, buttons as numbered choices, links as
"label: url" lines, and nothing longer than Zalo takes in one message.

Example:
    turn = render_turn([Reply("Bạn muốn làm gì?", (Button("Lệ phí", "proc:1.0:fee"),))],
                       hint="Nhắn số để chọn")
    turn.messages   # ["Bạn muốn làm gì?\\n\\n1. Lệ phí\\nNhắn số để chọn"]
    turn.choices    # {1: "proc:1.0:fee"}

Zalo's consultation messages can carry buttons only through message templates, which need an
approved, verified OA on a paid tier; a numbered list in the text works on every OA, so buttons
become numbered choices and the citizen answers with the number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby

from bot.messages import Button, Link, Reply

# Zalo's limit for the text of a consultation message (/v3.0/oa/message/cs).
MAX_TEXT_CHARS = 2000
MAX_CHOICES_PER_MESSAGE = 6
# A label that already starts with its own number, as the rating scores do ("5 – Rất hài
# lòng"): it keeps that number, so a citizen who types "5" gets 5 and not the fifth line.
_OWN_NUMBER_RE = re.compile(r"^(\d{1,2})(?=\s|[.):](?:\s|$))")
_SENTENCE_END_RE = re.compile(r"[.!?…](?=\s)")


@dataclass(frozen=True)
class RenderedTurn:
    messages: list[str]
    # Number the citizen may type -> the payload of the button it stands for.
    choices: dict[int, str]


def channel_turn(replies: list[Reply], text: Callable[[str], str]) -> RenderedTurn:
    """The turn as the Zalo channel sends it: the texts' hint under the choices and captions
    over the groups of parts and of documents (`text` looks up knowledge/locales/texts.yaml)."""
    return render_turn(replies, hint=text("zalo.pick_a_number"),
                       captions={"proc": text("zalo.group.procedure_parts"),
                                 "docs": text("zalo.group.documents")})


def render_turn(replies: list[Reply], *, hint: str, limit: int = MAX_TEXT_CHARS,
                captions: Mapping[str, str] | None = None) -> RenderedTurn:
    """The Zalo messages for one turn's replies, and the numbers standing for its buttons.

    `hint` ("Nhắn số để chọn", texts.yaml's zalo.pick_a_number) is said under the last list
    of choices. `captions` name groups of choices by their payload's head ("proc" -> "Các
    phần khác của thủ tục"), said above a group when a reply has more choices than one
    message shows.

    Numbers run on across the replies of a turn, so that every choice shown can be picked.
    Replies that fit together in one message are sent as one: a turn is one notification on
    the citizen's phone, and one call against Zalo's rate limit instead of three. Choices of
    different kinds (the parts of an answer, related procedures, 👍/👎) are never more than
    MAX_CHOICES_PER_MESSAGE to a message: a longer mixed list is read as a wall.
    """
    numbers = iter(_numbers([button.label for reply in replies for button in reply.buttons]))
    last_with_choices = max((i for i, reply in enumerate(replies) if reply.buttons), default=-1)
    pieces: list[tuple[str, int]] = []
    choices: dict[int, str] = {}
    for index, reply in enumerate(replies):
        numbered = [(next(numbers), button) for button in reply.buttons]
        choices.update((number, button.payload) for number, button in numbered)
        hinted = index == last_with_choices
        pieces.extend(_reply_pieces(reply, numbered, hint if hinted else None,
                                    captions or {}, limit))
    return RenderedTurn(_packed(pieces, limit), choices)


def _reply_pieces(reply: Reply, numbered: list[tuple[int, Button]], hint: str | None,
                  captions: Mapping[str, str], limit: int) -> list[tuple[str, int]]:
    """A reply as (text, number of choices in it) pieces: its text with the first group of
    choices, then each further group of choices on its own."""
    blocks = [reply.text.strip()]
    # A tel: link says nothing on Zalo that the number in the text does not (Zalo makes it
    # tappable).
    links = [link for link in reply.links if not link.url.startswith("tel:")]
    if links:
        blocks.append("\n".join(_link_line(link) for link in links))
    groups = _choice_groups(numbered, captions)
    if hint and groups:
        groups[-1] = (groups[-1][0] + [hint], groups[-1][1])
    first_lines, first_count = groups.pop(0) if groups else ([], 0)
    if first_lines:
        blocks.append("\n".join(first_lines))
    texts = split_text("\n\n".join(block for block in blocks if block), limit)
    pieces = [(text, 0) for text in texts[:-1]] + [(texts[-1], first_count)] if texts else []
    pieces += [("\n".join(lines), count) for lines, count in groups]
    return pieces


def _choice_groups(numbered: list[tuple[int, Button]],
                   captions: Mapping[str, str]) -> list[tuple[list[str], int]]:
    """The choice lines in groups: by the payloads' kind when there are more than
    MAX_CHOICES_PER_MESSAGE, a captioned kind split evenly into groups no longer than that,
    its caption above it."""
    if len(numbered) <= MAX_CHOICES_PER_MESSAGE:
        lines = [_choice_line(button, number) for number, button in numbered]
        return [(lines, len(numbered))] if lines else []
    groups: list[tuple[list[str], int]] = []
    for kind, run in groupby(numbered, key=lambda choice: choice[1].payload.partition(":")[0]):
        members = list(run)
        # A list of its own kind (the menu, the topics, a form's scores with "Quay lại")
        # stays whole; the parts of an answer, which have a caption, are split.
        parts = -(-len(members) // MAX_CHOICES_PER_MESSAGE) if kind in captions else 1
        size = -(-len(members) // parts)
        for start in range(0, len(members), size):
            chunk = members[start:start + size]
            caption = captions.get(kind)
            lines = ([caption] if caption and start == 0 else []) + \
                [_choice_line(button, number) for number, button in chunk]
            groups.append((lines, len(chunk)))
    return groups


def _packed(pieces: list[tuple[str, int]], limit: int) -> list[str]:
    """Consecutive pieces joined by a blank line, as many to a message as fit in `limit`
    with no more than MAX_CHOICES_PER_MESSAGE choices."""
    messages: list[str] = []
    counts: list[int] = []
    for piece, count in pieces:
        if messages and len(messages[-1]) + 2 + len(piece) <= limit and (
                not counts[-1] or not count or counts[-1] + count <= MAX_CHOICES_PER_MESSAGE):
            messages[-1] = f"{messages[-1]}\n\n{piece}"
            counts[-1] += count
        else:
            messages.append(piece)
            counts.append(count)
    return messages


def _numbers(labels: list[str]) -> list[int]:
    """The number of each label in order: its own leading number if it has one (the first
    label claiming a number gets it), else the next number no label claims."""
    own: dict[int, int] = {}  # number -> index of the label keeping it
    for index, label in enumerate(labels):
        match = _OWN_NUMBER_RE.match(label)
        if match:
            own.setdefault(int(match.group(1)), index)
    keeping = {index: number for number, index in own.items()}
    numbers: list[int] = []
    next_number = 1
    for index in range(len(labels)):
        if index in keeping:
            numbers.append(keeping[index])
            continue
        while next_number in own:
            next_number += 1
        numbers.append(next_number)
        next_number += 1
    return numbers


def _choice_line(button: Button, number: int) -> str:
    match = _OWN_NUMBER_RE.match(button.label)
    if match and int(match.group(1)) == number:
        return button.label
    return f"{number}. {button.label}"


def _link_line(link: Link) -> str:
    label = link.label.strip()
    return link.url if not label or label == link.url else f"{label}: {link.url}"


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut where a reader pauses: between
    paragraphs, else between lines, else after a sentence, else between words.

    Text is put in NFC first: Vietnamese typed in decomposed form would count up to twice as
    many characters as Zalo sees.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    rest = unicodedata.normalize("NFC", text).strip()
    pieces: list[str] = []
    while len(rest) > limit:
        head_end, tail_start = _cut(rest, limit)
        head = rest[:head_end].rstrip()
        if head:
            pieces.append(head)
        rest = rest[tail_start:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut(text: str, limit: int) -> tuple[int, int]:
    """Where the first piece ends and the rest begins, for text longer than `limit`."""
    # A pause found early in the window would leave a short piece; only take it past half.
    floor = limit // 2
    for separator in ("\n\n", "\n"):
        at = text.rfind(separator, floor, limit + 1)
        if at > 0:
            return at, at + len(separator)
    sentence_ends = [m.end() for m in _SENTENCE_END_RE.finditer(text, floor, limit)]
    if sentence_ends:
        return sentence_ends[-1], sentence_ends[-1]
    at = text.rfind(" ", 1, limit + 1)
    if at > 0:
        return at, at + 1
    return limit, limit
