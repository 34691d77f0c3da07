"""Confirmed phone numbers are tappable: a tel: link on the web; in the text elsewhere."""

from __future__ import annotations

from bot.channels.telegram_render import CallbackPayloads, render_replies
from bot.channels.zalo_render import render_turn
from handlers.contacts import contact_lines
from knowledge.base import Knowledge


def shown_with_phone(knowledge: Knowledge):
    return next(c for c in knowledge.handkept.contacts if c.is_shown and c.phone)


def test_a_confirmed_phone_gets_a_tel_link_that_dials_its_digits(knowledge: Knowledge,
                                                                 t) -> None:
    contact = shown_with_phone(knowledge)
    lines, links = contact_lines(knowledge, (contact.id,))
    assert contact.phone in lines[0]
    dialled = "tel:" + "".join(ch for ch in contact.phone if ch.isdigit() or ch == "+")
    assert (t("contact.call", phone=contact.phone), dialled) in \
        {(link.label, link.url) for link in links}


def test_telegram_and_zalo_leave_the_tel_link_to_the_number_in_the_text(
        knowledge: Knowledge) -> None:
    from bot.messages import Reply

    contact = shown_with_phone(knowledge)
    lines, links = contact_lines(knowledge, (contact.id,))
    reply = Reply("\n".join(lines), links=tuple(links))
    zalo = "\n".join(render_turn([reply], hint="Nhắn số để chọn").messages)
    assert "tel:" not in zalo and contact.phone in zalo
    messages = render_replies([reply], CallbackPayloads())
    urls = [button.url for message in messages for row in
            (message.reply_markup.inline_keyboard if message.reply_markup else ())
            for button in row]
    assert not any(url and url.startswith("tel:") for url in urls)
