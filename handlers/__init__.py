"""One module per intent; each turns an Understanding into replies, knowing no platform.

The intents that need no state are answered through HANDLERS; petitions, ratings, status and
subscriptions keep state in the store and are routed by bot.dialogue.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Reply
from handlers import contacts, online_help, out_of_scope, smalltalk
from knowledge.base import Knowledge
from knowledge.understand import Understanding

Handler = Callable[[Understanding, Knowledge], list[Reply]]

HANDLERS: dict[str, Handler] = {
    "contact": contacts.handle,
    "online_help": online_help.handle,
    "smalltalk": smalltalk.handle,
    "help": smalltalk.help_reply,
    "out_of_scope": out_of_scope.handle,
}
