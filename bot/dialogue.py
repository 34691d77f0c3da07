"""The dialogue core: a message or a button press in, replies out, for any channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Incoming, Reply
from handlers import HANDLERS, online_help, procedures
from knowledge.base import Knowledge
from knowledge.understand import PROCEDURE, Understander, Understanding


@dataclass(frozen=True)
class Turn:
    understanding: Understanding | None
    replies: list[Reply]


class Dialogue:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.understander = Understander(knowledge)

    def handle(self, incoming: Incoming) -> list[Reply]:
        """The replies to one message or button press from any channel."""
        if incoming.button is not None:
            return self.on_button(incoming.button).replies
        return self.on_text(incoming.text or "").replies

    def on_text(self, text: str) -> Turn:
        understanding = self.understander.understand(text)
        if understanding.intent == PROCEDURE:
            return Turn(understanding, procedures.handle(understanding, self.knowledge))
        return Turn(understanding, HANDLERS[understanding.intent](understanding, self.knowledge))

    def on_button(self, payload: str) -> Turn:
        """A button press; a stale or forged payload gets a polite reply, never an error."""
        t = self.knowledge.handkept.text
        parsed = procedures.parse_aspect_payload(payload)
        if parsed is not None and parsed[0] in self.knowledge.procedures:
            code, aspect = parsed
            return Turn(None, [procedures.answer(self.knowledge.procedures[code], aspect, t)])
        if payload.startswith("guide:"):
            reply = online_help.guide_reply(self.knowledge, payload.removeprefix("guide:"))
            if reply is not None:
                return Turn(None, [reply])
        return Turn(None, [Reply(t("button.unknown"))])
