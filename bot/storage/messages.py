"""The conversation log (`messages`), kept for the retention period (BOT_MESSAGE_RETENTION_DAYS)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.database import Tables, iso, require, serialised, utc

DIRECTIONS = ("in", "out")


class MessageTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    @serialised
    def log_message(
        self,
        channel: str,
        user_id: str,
        direction: str,
        text: str,
        intent: str | None = None,
        procedure_code: str | None = None,
        now: datetime | None = None,
    ) -> int:
        require(direction, DIRECTIONS, "direction")
        return self._insert(
            "messages",
            channel=channel, user_id=user_id, direction=direction, text=text, intent=intent,
            procedure_code=procedure_code, created_at=iso(now),
        )

    @serialised
    def purge_messages(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete messages older than the retention period; returns how many were deleted."""
        if older_than_days < 0:
            raise ValueError(f"older_than_days must not be negative, not {older_than_days}")
        cutoff = iso(utc(now) - timedelta(days=older_than_days))
        return self.db.execute("DELETE FROM messages WHERE created_at < ?", [cutoff]).rowcount
