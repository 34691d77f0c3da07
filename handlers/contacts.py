"""Hotlines, e-mail and offices: only the ones with a confirmed source are ever shown."""

from __future__ import annotations

import re

from bot.messages import Link, Reply
from handlers.context import Context
from handlers.intents import answers
from knowledge.base import Knowledge
from knowledge.nlu.understand import Understanding

MAX_CONTACTS = 3
# What a phone dials: digits and a leading "+", without the spaces written for reading.
_DIALLED = re.compile(r"[^\d+]")


def contact_lines(knowledge: Knowledge, contact_ids: tuple[str, ...],
                  ) -> tuple[list[str], list[Link]]:
    """Lines and links for the shown contacts among the ids, in the order given."""
    by_id = {contact.id: contact for contact in knowledge.handkept.contacts}
    lines: list[str] = []
    links: list[Link] = []
    for contact_id in contact_ids:
        contact = by_id.get(contact_id)
        if contact is None or not contact.is_shown:
            continue
        details = [value for value in (contact.phone, contact.email, contact.address, contact.hours)
                   if value]
        line = f"• {contact.name['vi']}"
        if details:
            line += ": " + ", ".join(details)
        lines.append(line)
        if contact.phone:
            # Tappable on the web; Telegram and Zalo make the number in the text tappable.
            links.append(Link(knowledge.handkept.text("contact.call", phone=contact.phone),
                              "tel:" + _DIALLED.sub("", contact.phone)))
        if contact.url:
            links.append(Link(contact.name["vi"], contact.url))
        if len(lines) == MAX_CONTACTS:
            break
    return lines, links


def contacts_for(knowledge: Knowledge, purpose: str) -> tuple[str, ...]:
    return tuple(c.id for c in knowledge.handkept.contacts if purpose in c.purpose and c.is_shown)


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    t = knowledge.handkept.text
    asked = understanding.contact_ids
    lines, links = contact_lines(knowledge, asked)
    by_id = {contact.id: contact for contact in knowledge.handkept.contacts}
    unconfirmed = [by_id[i] for i in asked if i in by_id and not by_id[i].is_shown]
    text_lines = [t("contact.intro")]
    if unconfirmed and not lines:
        text_lines.append(t("contact.unconfirmed", name=unconfirmed[0].name["vi"]))
    if not lines:
        lines, links = contact_lines(knowledge, contacts_for(knowledge, "support"))
    text_lines.extend(lines or [t("contact.none_confirmed")])
    return [Reply("\n".join(text_lines), links=tuple(links))]


@answers("contact")
def answer(ctx: Context, understanding: Understanding) -> list[Reply]:
    ctx.record_answered(understanding.text, "contact")
    return handle(understanding, ctx.knowledge)
