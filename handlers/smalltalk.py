"""Greetings, thanks and goodbyes: short, and always pointing to what the bot can do."""

from __future__ import annotations

from bot.messages import Reply
from handlers.context import Context
from handlers.intents import answers
from knowledge.base import Knowledge
from knowledge.nlu.aspects import AspectDetector
from knowledge.nlu.understand import Understanding

# Which kind of small talk a message is, by cue phrases (folded); a greeting otherwise.
_KINDS = AspectDetector({
    "smalltalk_thanks": ["cảm ơn", "cám ơn", "camon", "thank", "thanks", "tks", "thank you"],
    "smalltalk_bye": ["tạm biệt", "bye", "bai bai", "hẹn gặp lại"],
})


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    words = list(knowledge.normalizer.normalize(understanding.text).folded)
    kind = _KINDS.detect(words)
    return [Reply(knowledge.handkept.text(kind.aspect if kind else "smalltalk_hello"))]


@answers("smalltalk")
def answer(ctx: Context, understanding: Understanding) -> list[Reply]:
    return handle(understanding, ctx.knowledge)
