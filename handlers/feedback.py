"""Satisfaction ratings of a visit or a procedure."""

from __future__ import annotations

from bot.messages import Reply
from knowledge.base import Knowledge
from knowledge.understand import Understanding


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    return [Reply(knowledge.handkept.text("feedback_intro"))]
