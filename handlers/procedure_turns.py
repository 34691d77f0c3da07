"""A procedure question as a turn of the conversation: the answer (or the choice, or "not in
my data"), the procedure remembered as the conversation's topic, and the "was this helpful?"
question stored with the answer.

The rendering of the answer itself is handlers/procedures.py.
"""

from __future__ import annotations

from datetime import date

from bot.messages import Button, Reply
from bot.vocabulary import OVERVIEW, PROCEDURE, VIETNAM
from handlers import procedures
from handlers.context import Context
from handlers.intents import answers
from knowledge.nlu.understand import Understanding


@answers(PROCEDURE)
def answer(ctx: Context, understanding: Understanding) -> list[Reply]:
    replies = procedures.handle(understanding, ctx.knowledge, vietnam_day(ctx))
    chosen = understanding.procedure
    if chosen is None:
        if understanding.not_in_data:
            ctx.store.record_unanswered(ctx.channel, ctx.user, understanding.text, "no_match",
                                        now=ctx.now)
        elif understanding.needs_choice:
            # A citizen who goes on without choosing ("mất bao lâu") is answered for the
            # first reading, the others offered beside it.
            first, *others = understanding.alternatives
            remember_topic(ctx, first.code, understanding.aspect,
                           tuple(other.code for other in others))
        return replies
    remember_topic(ctx, chosen.code, understanding.aspect)
    replies.append(helpful_question(ctx, understanding.text, chosen.code, understanding.aspect))
    return replies


def remember_topic(ctx: Context, code: str, aspect: str | None,
                   alternatives: tuple[str, ...] = ()) -> None:
    ctx.store.save_conversation_topic(ctx.channel, ctx.user, code, aspect or OVERVIEW,
                                      now=ctx.now, alternatives=alternatives)


def helpful_question(ctx: Context, question: str, code: str, aspect: str | None) -> Reply:
    """'Was this helpful?' under an answer; the answer is stored with the question."""
    answer_id = ctx.store.record_answer(ctx.channel, ctx.user, question, PROCEDURE, code,
                                        aspect, now=ctx.now)
    return Reply(ctx.t("helpful.question"),
                 (Button(ctx.t("helpful.yes"), f"helpful:{answer_id}:yes"),
                  Button(ctx.t("helpful.no"), f"helpful:{answer_id}:no")))


def vietnam_day(ctx: Context) -> date:
    """The citizen's date, which dated fee rules are read against."""
    return ctx.now.astimezone(VIETNAM).date()
