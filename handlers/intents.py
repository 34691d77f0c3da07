"""Which handler answers each intent: the one registry the dialogue dispatches through.

A handler module registers its function against the intent it answers:

    @answers("status")
    def my_petitions(ctx: Context, understanding: Understanding) -> list[Reply]: ...

and the dialogue asks `handler_for(understanding.intent)(ctx, understanding)`. Importing the
`handlers` package registers every handler (handlers/__init__.py imports them all);
tests/bot/test_vocabulary.py checks that every intent of bot.vocabulary has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.messages import Reply
from bot.vocabulary import INTENTS

if TYPE_CHECKING:
    from handlers.context import Context
    from knowledge.nlu.understand import Understanding

IntentHandler = Callable[["Context", "Understanding"], list[Reply]]

_HANDLERS: dict[str, IntentHandler] = {}


def answers(intent: str) -> Callable[[IntentHandler], IntentHandler]:
    """Registers the decorated function as the handler of `intent`."""
    if intent not in INTENTS:
        raise ValueError(f"{intent!r} is not an intent of bot.vocabulary.INTENTS")

    def register(handler: IntentHandler) -> IntentHandler:
        if intent in _HANDLERS:
            raise ValueError(f"{intent!r} already has a handler: {_HANDLERS[intent].__qualname__}")
        _HANDLERS[intent] = handler
        return handler

    return register


def handler_for(intent: str) -> IntentHandler:
    return _HANDLERS[intent]


def registered() -> frozenset[str]:
    return frozenset(_HANDLERS)
