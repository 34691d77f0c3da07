"""What a handler needs to answer one message: who wrote, the store, the knowledge, settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.messages import Incoming
from bot.storage import Session, Store
from knowledge.base import Knowledge
from knowledge.handkept.topics import Topics


@dataclass(frozen=True)
class Context:
    incoming: Incoming
    store: Store
    knowledge: Knowledge
    topics: Topics
    settings: Settings
    session: Session
    now: datetime

    @property
    def channel(self) -> str:
        return self.incoming.channel

    @property
    def user(self) -> str:
        return self.incoming.user

    def t(self, key: str, **values: object) -> str:
        return self.knowledge.handkept.text(key, **values)

    def record_answered(self, question: str, intent: str) -> None:
        """Counts a question answered from the hand-kept knowledge (contacts, online
        services) with the procedure answers in the quarterly "questions answered"."""
        self.store.record_answer(self.channel, self.user, question, intent, None, None,
                                 now=self.now)
