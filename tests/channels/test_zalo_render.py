"""How replies look on Zalo (bot/channels/zalo_render.py): numbered choices, links, splitting."""

from __future__ import annotations

import re
import unicodedata

import pytest

from bot.channels.zalo_render import MAX_TEXT_CHARS, render_turn, split_text
from bot.messages import Button, Link, Reply

# What the channel says under its numbered choices (texts.yaml: zalo.pick_a_number).
PICK_A_NUMBER = "Nhắn số để chọn"


def test_buttons_become_numbered_choices_running_on_across_the_turn() -> None:
    turn = render_turn([
        Reply("Phí, lệ phí: 50.000 đồng", (Button("Thành phần hồ sơ", "proc:1:documents"),
                                           Button("Nơi nộp hồ sơ", "proc:1:where"))),
        Reply("Câu trả lời có hữu ích không?", (Button("👍 Có", "helpful:7:yes"),
                                                Button("👎 Chưa", "helpful:7:no"))),
    ], hint=PICK_A_NUMBER)
    assert turn.messages == [
        "Phí, lệ phí: 50.000 đồng\n\n1. Thành phần hồ sơ\n2. Nơi nộp hồ sơ\n\n"
        f"Câu trả lời có hữu ích không?\n\n3. 👍 Có\n4. 👎 Chưa\n{PICK_A_NUMBER}",
    ]
    assert turn.choices == {1: "proc:1:documents", 2: "proc:1:where", 3: "helpful:7:yes",
                            4: "helpful:7:no"}


def test_replies_share_a_message_while_they_fit() -> None:
    long = "x " * 900
    turn = render_turn([Reply("Một"), Reply(long), Reply(long), Reply("Hai")],
                       hint=PICK_A_NUMBER)
    assert turn.messages == [f"Một\n\n{long.strip()}", f"{long.strip()}\n\nHai"]
    assert all(len(message) <= MAX_TEXT_CHARS for message in turn.messages)


def test_labels_with_their_own_number_keep_it() -> None:
    scores = tuple(Button(f"{s} – điểm {s}", f"flow:choice:{s}") for s in (5, 4, 3, 2, 1))
    turn = render_turn([Reply("Bạn chấm mấy điểm?",
                              (*scores, Button("Quay lại", "flow:back"),
                               Button("Hủy", "flow:cancel")))], hint=PICK_A_NUMBER)
    assert turn.messages == ["Bạn chấm mấy điểm?\n\n5 – điểm 5\n4 – điểm 4\n3 – điểm 3\n"
                             f"2 – điểm 2\n1 – điểm 1\n6. Quay lại\n7. Hủy\n{PICK_A_NUMBER}"]
    assert turn.choices[5] == "flow:choice:5" and turn.choices[6] == "flow:back"


def test_a_procedure_code_is_not_taken_for_a_number() -> None:
    turn = render_turn([Reply("Chọn", (Button("1.014061 Cấp thẻ", "a"), Button("Khác", "b")))],
                       hint=PICK_A_NUMBER)
    assert turn.choices == {1: "a", 2: "b"}


def test_links_are_label_and_url_lines_and_a_reply_without_buttons_offers_nothing() -> None:
    turn = render_turn([Reply("Xem thêm:", links=(
        Link("Cổng Dịch vụ công quốc gia", "https://dichvucong.gov.vn/"),
        Link("", "https://vneid.gov.vn/")))], hint=PICK_A_NUMBER)
    assert turn.messages == ["Xem thêm:\n\nCổng Dịch vụ công quốc gia: "
                             "https://dichvucong.gov.vn/\nhttps://vneid.gov.vn/"]
    assert turn.choices == {}


def test_short_text_is_one_piece() -> None:
    assert split_text("  Xin chào  ") == ["Xin chào"]
    assert split_text("") == []


def test_long_text_is_cut_between_paragraphs_first() -> None:
    first, second = "a " * 700, "b " * 700
    assert split_text(f"{first}\n\n{second}") == [first.strip(), second.strip()]


def test_then_between_lines_then_after_sentences_then_between_words() -> None:
    lines = "\n".join(f"• Dòng {i} " + "x" * 80 for i in range(40))
    pieces = split_text(lines)
    assert all(piece.startswith("• Dòng") for piece in pieces)
    sentences = " ".join(f"Câu {i} có nội dung dài." for i in range(200))
    assert all(piece.endswith(".") for piece in split_text(sentences))
    words = " ".join(["từ"] * 1500)
    assert all(piece.startswith("từ") and piece.endswith("từ") for piece in split_text(words))


@pytest.mark.parametrize("text", [
    "x" * 4500,
    "\n\n".join(["Đoạn văn " * 150] * 5),
    " ".join(["Giấy tờ cần có."] * 400),
    "chữ " * 1000 + "y" * 2500,
])
def test_no_piece_is_over_the_limit_and_nothing_is_lost(text: str) -> None:
    pieces = split_text(text)
    assert all(0 < len(piece) <= MAX_TEXT_CHARS for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_decomposed_vietnamese_is_counted_as_zalo_sees_it() -> None:
    composed = "Việt Nam " * 240   # 2,160 characters composed, about 2,640 decomposed
    pieces = split_text(unicodedata.normalize("NFD", composed))
    assert len(pieces) == 2
    assert all(piece == unicodedata.normalize("NFC", piece) for piece in pieces)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text("x", 0)


def test_an_answer_s_choices_come_six_at_most_to_a_message_grouped_by_kind(
        knowledge, t) -> None:
    from bot.dialogue import offline_dialogue
    from bot.messages import Incoming

    dialogue = offline_dialogue(knowledge)
    replies = dialogue.handle(Incoming("zalo", "u1", text="đăng ký tạm trú cần giấy tờ gì"))
    captions = {"proc": "Các phần khác của thủ tục:", "docs": "Giấy tờ theo trường hợp:"}
    turn = render_turn(replies, hint="Nhắn số để chọn", captions=captions)
    listed = [sum(1 for line in message.splitlines() if re.match(r"^\d+\. ", line))
              for message in turn.messages]
    assert max(listed) <= 6
    assert sum(listed) == len(turn.choices) == sum(len(r.buttons) for r in replies)
    assert any(message.startswith(captions["proc"]) or f"\n{captions['proc']}" in message
               for message in turn.messages)
    # The source once, as one line.
    assert sum(message.count("dichvucong.gov.vn") for message in turn.messages) == 1
