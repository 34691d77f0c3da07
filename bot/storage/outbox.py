"""The messages the bot starts to a citizen (`outbox`): a petition's answer, a status notice.
Each is recorded before it is sent, then marked delivered or failed with the reason; a web
citizen's wait here until their page asks (bot/citizen_messages.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.storage.database import Tables, iso, serialised

WEB = "web"


class OutboxTables(Tables):
    """The methods of Store over this table (bot/storage/store.py)."""

    @serialised
    def record_outgoing(self, channel: str, user_id: str, replies_json: str, reason: str,
                        now: datetime) -> int:
        return self._insert("outbox", channel=channel, user_id=user_id, replies=replies_json,
                            reason=reason, created_at=iso(now))

    @serialised
    def mark_outgoing(self, outbox_id: int, status: str, error: str | None,
                      now: datetime) -> None:
        self.db.execute(
            "UPDATE outbox SET status = ?, error = ?, delivered_at = ? WHERE id = ?",
            [status, error, iso(now) if status == "delivered" else None, outbox_id])

    def take_web_messages(self, user_id: str, now: datetime) -> list[str]:
        """The web citizen's waiting messages (their replies as JSON), oldest first, marked
        delivered in the same transaction, so that each is shown once."""
        with self.writing() as db:
            rows = list(db.query(
                "SELECT id, replies FROM outbox WHERE channel = ? AND user_id = ? AND "
                "status = 'pending' ORDER BY id", [WEB, user_id]))
            if rows:
                db.execute(
                    f"UPDATE outbox SET status = 'delivered', delivered_at = ? WHERE id IN "
                    f"({', '.join('?' for _ in rows)})", [iso(now), *[row['id'] for row in rows]])
        return [row["replies"] for row in rows]

    @serialised
    def outgoing_for(self, reason: str) -> list[dict[str, Any]]:
        """Every message sent for `reason` (e.g. "petition:123"), oldest first."""
        return self._rows("SELECT * FROM outbox WHERE reason = ? ORDER BY id", [reason])
