"""Rendering replies for Telegram, and what commands and deep links mean: no server needed."""

from __future__ import annotations

from bot.channels.telegram_render import (
    CALLBACK_DATA_LIMIT,
    LABEL_LIMIT,
    MESSAGE_LIMIT,
    CallbackPayloads,
    render_replies,
    render_reply,
    short_label,
    split_text,
    utf16_len,
)
from bot.channels.telegram_updates import (
    COMMANDS,
    bot_commands,
    incoming_for_command,
    payload_from_start_parameter,
    start_parameter,
)
from bot.messages import Button, Link, Reply


def _sentence(number: int) -> str:
    return f"Câu thứ {number} nói về hồ sơ đăng ký tạm trú và lệ phí phải nộp."


def test_a_short_text_is_one_message() -> None:
    assert split_text("  Xin chào Anh/Chị!  ") == ["Xin chào Anh/Chị!"]
    assert split_text("") == []


def test_a_long_text_is_split_at_paragraphs_first() -> None:
    paragraphs = [" ".join(_sentence(p * 100 + s) for s in range(20)) for p in range(6)]
    text = "\n\n".join(paragraphs)

    parts = split_text(text)

    assert len(parts) > 1
    assert all(utf16_len(part) <= MESSAGE_LIMIT for part in parts)
    assert "\n\n".join(parts) == text  # every cut fell between two paragraphs


def test_without_paragraphs_lines_then_sentences_are_used() -> None:
    lines = "\n".join(_sentence(n) for n in range(200))
    assert "\n".join(split_text(lines)) == lines

    one_paragraph = " ".join(_sentence(n) for n in range(200))
    parts = split_text(one_paragraph)
    assert len(parts) > 1
    assert all(part.endswith(".") for part in parts)
    assert " ".join(parts) == one_paragraph


def test_a_cut_never_falls_inside_a_word() -> None:
    words = [("nghị định" if n % 7 else "thủtụchànhchínhcôngtrựctuyến") for n in range(400)]
    text = " ".join(words)

    parts = split_text(text, limit=100)

    assert all(utf16_len(part) <= 100 for part in parts)
    assert " ".join(parts).split() == text.split()


def test_length_is_counted_as_telegram_does_in_utf16_units() -> None:
    text = " ".join(["📄📋"] * 2000)  # each emoji is two UTF-16 units

    parts = split_text(text)

    assert len(parts) == 3  # by code points it would have been two
    assert all(utf16_len(part) <= MESSAGE_LIMIT for part in parts)
    assert " ".join(parts) == text


def test_only_a_word_longer_than_a_message_is_cut() -> None:
    link = "https://dichvucong.gov.vn/" + "a" * 5000
    assert split_text(f"Xem {link}") == ["Xem", link[:MESSAGE_LIMIT], link[MESSAGE_LIMIT:]]


def test_long_labels_are_shortened_at_a_word() -> None:
    label = "Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi"
    shortened = short_label(label)
    assert len(shortened) <= LABEL_LIMIT and shortened.endswith("…")
    assert label.startswith(shortened.removesuffix("…"))
    assert short_label("Phí, lệ phí") == "Phí, lệ phí"


def test_payloads_over_64_bytes_are_kept_and_read_back() -> None:
    payloads = CallbackPayloads(capacity=2)
    long = "topic:" + "đăng-ký-tạm-trú-" * 6

    packed = payloads.pack(long)

    assert len(packed.encode()) <= CALLBACK_DATA_LIMIT
    assert payloads.unpack(packed) == long
    assert payloads.pack("proc:1.004222:fee") == "proc:1.004222:fee"
    assert payloads.unpack("proc:1.004222:fee") == "proc:1.004222:fee"
    # A payload that looks like a key is packed too, so it cannot be mistaken for one.
    assert payloads.unpack(payloads.pack("#abc")) == "#abc"
    # Forgotten (oldest dropped, or the bot restarted): comes back as it is, a stale button.
    payloads.pack(long + "2")
    payloads.pack(long + "3")
    assert payloads.unpack(packed) == packed


def test_a_reply_renders_with_its_keyboard_on_the_last_message() -> None:
    reply = Reply("\n\n".join(" ".join(_sentence(n) for n in range(30)) for _ in range(4)),
                  (Button("Thành phần hồ sơ", "proc:1.004194:documents"),
                   Button("x" * 100, "topic:" + "y" * 80)),
                  (Link("Nguồn", "https://dichvucong.gov.vn/p/1"), Link("Sai", "ftp://x")))

    messages = render_reply(reply, CallbackPayloads())

    assert len(messages) > 1
    assert all(message.reply_markup is None for message in messages[:-1])
    rows = messages[-1].reply_markup.inline_keyboard
    assert [len(row) for row in rows] == [1, 1, 1]  # one button a row; the ftp link is left out
    assert rows[0][0].callback_data == "proc:1.004194:documents"
    assert len(rows[1][0].text) <= LABEL_LIMIT
    assert len(rows[1][0].callback_data.encode()) <= CALLBACK_DATA_LIMIT
    assert rows[2][0].url == "https://dichvucong.gov.vn/p/1"


def test_a_reply_without_text_or_buttons_sends_nothing() -> None:
    assert render_reply(Reply("  "), CallbackPayloads()) == []
    assert [m.text for m in render_reply(Reply("", (Button("Menu", "menu"),)),
                                         CallbackPayloads())] == ["👇"]


def test_deep_links_name_a_procedure_with_telegram_safe_characters() -> None:
    assert start_parameter("1.004222") == "proc_1_004222"
    assert start_parameter("1.004222", "fee") == "proc_1_004222_fee"
    assert payload_from_start_parameter("proc_1_004222") == "proc:1.004222:overview"
    assert payload_from_start_parameter("proc_1_004222_fee") == "proc:1.004222:fee"
    assert payload_from_start_parameter("proc_1_004222_nonsense") is None
    assert payload_from_start_parameter("phananh") == "menu:petition"
    assert payload_from_start_parameter("whatever") is None


def test_commands_become_what_the_dialogue_understands() -> None:
    assert [c.name for c in COMMANDS] == ["start", "menu", "phananh", "danhgia", "theodoi",
                                          "help", "huy"]
    assert incoming_for_command("phananh", [], "7").button == "menu:petition"
    assert incoming_for_command("danhgia", [], "7").button == "menu:rate"
    assert incoming_for_command("theodoi", [], "7").button == "menu:news"
    assert incoming_for_command("huy", [], "7").text == "hủy"
    assert incoming_for_command("start", ["proc_1_004222"], "7").button == \
        "proc:1.004222:overview"
    assert incoming_for_command("start", ["unknown"], "7").text == "/start"
    assert incoming_for_command("foo", ["bar"], "7").text == "/foo bar"


def test_every_command_is_described_in_texts_within_telegrams_limits(knowledge) -> None:
    texts = knowledge.handkept.texts
    for command in COMMANDS:
        for language in ("vi", "en"):
            description = texts[command.description_key][language]
            # Telegram takes 1 to 256 characters.
            assert 1 <= len(description) <= 256, (command.name, language)
    assert [c.description for c in bot_commands(knowledge.handkept.text)][:2] == [
        "Bắt đầu trò chuyện, xem các chức năng", "Danh mục chức năng"]


def test_a_procedure_answer_keeps_its_keyboard_and_the_short_prompts_share_one_message() -> None:
    answer = Reply("📄 Thủ tục đăng ký khai sinh\n" + " ".join(_sentence(n) for n in range(40)),
                   (Button("Phí, lệ phí", "proc:1.001193:fee"),),
                   (Link("Nguồn", "https://dichvucong.gov.vn/p/1"),))
    related = Reply("Có thể Bạn cũng quan tâm:",
                    (Button("Thủ tục đăng ký khai sinh lưu động", "proc:1.000001:overview"),))
    feedback = Reply("Câu trả lời có hữu ích không?",
                     (Button("👍 Có", "feedback:yes"), Button("👎 Chưa", "feedback:no")))

    messages = render_replies([answer, related, feedback], CallbackPayloads())

    assert [message.text for message in messages] == [
        answer.text, "Có thể Bạn cũng quan tâm:\n\nCâu trả lời có hữu ích không?"]
    assert [[button.text for button in row] for row in messages[0].reply_markup.inline_keyboard] \
        == [["Phí, lệ phí"], ["Nguồn"]]
    # The related procedure on its own row, yes and no side by side under it.
    assert [[button.callback_data for button in row]
            for row in messages[1].reply_markup.inline_keyboard] == [
        ["proc:1.000001:overview"], ["feedback:yes", "feedback:no"]]


def test_a_reply_without_buttons_leads_into_the_next_one() -> None:
    notice = Reply("Bạn có quyền phản ánh, kiến nghị. " * 20)
    consent = Reply("Bạn đồng ý chứ?", (Button("✔ Tôi đồng ý", "choice:yes"),))

    messages = render_replies([notice, consent], CallbackPayloads())

    assert [message.text for message in messages] == [
        notice.text.strip() + "\n\nBạn đồng ý chứ?"]
    assert messages[0].reply_markup.inline_keyboard[0][0].callback_data == "choice:yes"


def test_a_long_reply_after_buttons_is_its_own_message() -> None:
    menu = Reply("Bạn muốn làm gì?", (Button("📂 Thủ tục theo lĩnh vực", "menu:topics"),))
    answer = Reply(" ".join(_sentence(n) for n in range(40)))

    messages = render_replies([menu, answer], CallbackPayloads())

    assert [message.text for message in messages] == [menu.text, answer.text]
    assert messages[1].reply_markup is None


def test_replies_that_would_pass_the_limit_together_are_sent_apart() -> None:
    first = Reply("a " * 1500)
    second = Reply("b " * 1500)

    messages = render_replies([first, second], CallbackPayloads())

    assert [message.text for message in messages] == [first.text.strip(), second.text.strip()]


def test_empty_replies_send_nothing() -> None:
    assert render_replies([Reply(" "), Reply("")], CallbackPayloads()) == []
