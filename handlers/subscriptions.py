"""Subscribing to and unsubscribing from administrative-reform news."""

from __future__ import annotations

from bot.messages import Reply
from knowledge.base import Knowledge
from knowledge.understand import Understanding


def subscribe(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    return [Reply(knowledge.handkept.text("subscribe_intro"))]


def unsubscribe(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    return [Reply(knowledge.handkept.text("unsubscribe_intro"))]
