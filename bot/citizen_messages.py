"""Messages the bot starts to a citizen (a petition's answer, a status change, news), sent
through the citizen's own channel and recorded in the `outbox` table either way.

Example:
    messenger = CitizenMessenger(store, senders={"telegram": telegram.send_replies,
                                                 "zalo": zalo.send_replies})
    outcome = await messenger.send("zalo", "2468458835296117922",
                                   [Reply("Cơ quan đã trả lời phản ánh PA-2026-000123 ...")],
                                   reason="petition:123")
    outcome.status   # "delivered", "queued" (web chat: shown when the page fetches it) or
                     # "failed", with outcome.error saying why in Vietnamese for staff

Telegram and Zalo push the message at once. The web chat cannot be pushed: the message waits
in the outbox until the citizen's page fetches it (GET /api/messages, which the page asks
every few seconds and when it opens), so it is "queued" until then. A channel that is not
running in this process, a citizen who blocked the bot, or Zalo's closed messaging window make
the message "failed", with the reason kept for the petition's page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.messages import Button, Link, Reply
from bot.storage import Store
from bot.vocabulary import CHANNELS

log = logging.getLogger(__name__)

WEB_CHANNEL = "web"
# What a channel's sender does: True when every message was delivered.
Sender = Callable[[str, list[Reply]], Awaitable[bool]]


@dataclass(frozen=True)
class Outcome:
    status: str  # "delivered", "queued" or "failed"
    error: str | None = None
    outbox_id: int | None = None


class CitizenMessenger:
    def __init__(self, store: Store, senders: Mapping[str, Sender] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.senders = dict(senders or {})
        self.clock = clock

    async def send(self, channel: str, user_id: str | None, replies: list[Reply], *,
                   reason: str) -> Outcome:
        """Sends `replies` to the citizen and records the outcome; never raises for a
        delivery problem (it is the outcome)."""
        if not user_id:
            return Outcome("failed", "Người dân đã xóa dữ liệu trò chuyện; không còn kênh để "
                                     "gửi tin.")
        outbox_id = self._record(channel, user_id, replies, reason)
        if channel == WEB_CHANNEL:
            return Outcome("queued", None, outbox_id)
        sender = self.senders.get(channel)
        if sender is None:
            return self._failed(outbox_id, f"Kênh {CHANNELS.label(channel)} chưa "
                                           "được cấu hình trên máy chủ này.")
        user = self.store.user(channel, user_id)
        if user is not None and user.unreachable:
            return self._failed(outbox_id, _unreachable_reason(channel))
        try:
            delivered = await sender(user_id, replies)
        except Exception as error:  # a sender's bug must not lose the record of the attempt
            log.exception("sending to %s user %s failed", channel, user_id)
            return self._failed(outbox_id, f"Lỗi khi gửi: {type(error).__name__}")
        if delivered:
            self._mark(outbox_id, "delivered", None)
            return Outcome("delivered", None, outbox_id)
        return self._failed(outbox_id, self._why_not_delivered(channel, user_id))

    def pending_for_web(self, user_id: str) -> list[Reply]:
        """The web citizen's waiting messages, oldest first, marked delivered as they go."""
        return [reply for raw in self.store.take_web_messages(user_id, self.clock())
                for reply in replies_from_json(raw)]

    def outcomes(self, reason: str) -> list[dict]:
        """Every message sent for `reason` (e.g. "petition:123"), oldest first."""
        return self.store.outgoing_for(reason)

    def _record(self, channel: str, user_id: str, replies: list[Reply], reason: str) -> int:
        return self.store.record_outgoing(channel, user_id, replies_to_json(replies), reason,
                                          self.clock())

    def _failed(self, outbox_id: int, error: str) -> Outcome:
        self._mark(outbox_id, "failed", error)
        return Outcome("failed", error, outbox_id)

    def _mark(self, outbox_id: int, status: str, error: str | None) -> None:
        self.store.mark_outgoing(outbox_id, status, error, self.clock())

    def _why_not_delivered(self, channel: str, user_id: str) -> str:
        user = self.store.user(channel, user_id)
        if user is not None and user.unreachable:
            return _unreachable_reason(channel)
        failed = self.store.failed_deliveries(channel, user_id, limit=1)
        if failed:
            return (f"{CHANNELS.label(channel)} không chuyển được tin (mã lỗi "
                    f"{failed[0].error_code}: {failed[0].error_message}).")
        return f"{CHANNELS.label(channel)} không nhận tin; xem nhật ký máy chủ."

def _unreachable_reason(channel: str) -> str:
    if channel == "zalo":
        return ("Zalo không cho gửi: người dân đã bỏ quan tâm OA hoặc đã quá thời hạn được "
                "nhắn tin (7 ngày kể từ tin cuối của người dân). Hãy liên hệ qua số điện thoại "
                "hoặc thư điện tử người dân để lại.")
    return ("Người dân đã chặn trợ lý trên Telegram. Hãy liên hệ qua số điện thoại hoặc thư "
            "điện tử người dân để lại.")


def replies_to_json(replies: list[Reply]) -> str:
    return json.dumps([reply.to_dict() for reply in replies], ensure_ascii=False)


def replies_from_json(raw: str) -> list[Reply]:
    return [Reply(item["text"],
                  tuple(Button(b["label"], b["payload"]) for b in item.get("buttons", [])),
                  tuple(Link(link["label"], link["url"]) for link in item.get("links", [])))
            for item in json.loads(raw)]
