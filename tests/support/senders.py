"""A stand-in for a channel's sender (`async send(user_id, replies) -> bool`), which the
bot uses for the messages it starts: petition answers, status notices.

    telegram = Sender()                     # delivers
    messenger = CitizenMessenger(store, {"telegram": telegram, "zalo": Sender(False)})
    ... telegram.sent == [("42", replies)], telegram.texts == ["..."]
"""

from __future__ import annotations

from bot.messages import Reply


class Sender:
    """Records the replies, and delivers them unless told not to."""

    def __init__(self, delivers: bool = True) -> None:
        self.delivers = delivers
        self.sent: list[tuple[str, list[Reply]]] = []

    async def __call__(self, user: str, replies: list[Reply]) -> bool:
        self.sent.append((user, replies))
        return self.delivers

    @property
    def texts(self) -> list[str]:
        return [reply.text for _, replies in self.sent for reply in replies]
