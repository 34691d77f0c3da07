"""One module per intent; each turns an Understanding into replies, knowing no platform."""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Reply
from handlers import (
    contacts,
    feedback,
    online_help,
    out_of_scope,
    petitions,
    smalltalk,
    status,
    subscriptions,
)
from knowledge.base import Knowledge
from knowledge.understand import Understanding

Handler = Callable[[Understanding, Knowledge], list[Reply]]

HANDLERS: dict[str, Handler] = {
    "contact": contacts.handle,
    "online_help": online_help.handle,
    "complaint": petitions.handle,
    "feedback": feedback.handle,
    "status": status.handle,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "smalltalk": smalltalk.handle,
    "help": smalltalk.help_reply,
    "out_of_scope": out_of_scope.handle,
}
