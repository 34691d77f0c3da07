"""Petitions (phản ánh, kiến nghị): the citizen's right to send one and where it goes."""

from __future__ import annotations

from bot.messages import Reply
from handlers.contacts import contact_lines, contacts_for
from knowledge.base import Knowledge
from knowledge.understand import Understanding


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    t = knowledge.handkept.text
    lines, links = contact_lines(knowledge, contacts_for(knowledge, "petition"))
    return [Reply("\n".join([t("complaint_intro"), *lines]), links=tuple(links))]
