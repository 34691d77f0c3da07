"""Questions outside administrative procedures: said plainly, with the hotline and petitions."""

from __future__ import annotations

from bot.messages import Reply
from handlers.contacts import contact_lines, contacts_for
from knowledge.base import Knowledge
from knowledge.understand import Understanding


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    t = knowledge.handkept.text
    ids = contacts_for(knowledge, "support") + contacts_for(knowledge, "petition")
    lines, links = contact_lines(knowledge, tuple(dict.fromkeys(ids)))
    return [Reply("\n".join([t("out_of_scope"), *lines]), links=tuple(links))]
