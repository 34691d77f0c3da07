"""Questions outside administrative procedures: said plainly, with the hotline and petitions."""

from __future__ import annotations

from bot.messages import Reply
from bot.vocabulary import OUT_OF_SCOPE
from handlers.contacts import contact_lines, contacts_for
from handlers.context import Context
from handlers.intents import answers
from knowledge.base import Knowledge
from knowledge.nlu.understand import Understanding


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    t = knowledge.handkept.text
    ids = contacts_for(knowledge, "support") + contacts_for(knowledge, "petition")
    lines, links = contact_lines(knowledge, tuple(dict.fromkeys(ids)))
    return [Reply("\n".join([t("out_of_scope"), *lines]), links=tuple(links))]


@answers(OUT_OF_SCOPE)
def answer(ctx: Context, understanding: Understanding) -> list[Reply]:
    ctx.store.record_unanswered(ctx.channel, ctx.user, understanding.text, "out_of_scope",
                                now=ctx.now)
    return handle(understanding, ctx.knowledge)
