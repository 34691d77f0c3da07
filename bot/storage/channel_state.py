"""What the chat channels keep between restarts: webhook events already taken, the Zalo
token pair and numbered choices, and replies a platform refused (`deliveries`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.storage.database import Tables, iso, serialised, utc
from bot.storage.schema import write_transaction


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str | None
    seed: str | None
    updated_at: datetime


@dataclass(frozen=True)
class FailedDelivery:
    id: int
    channel: str
    user_id: str
    text: str
    error_code: int | None
    error_message: str | None
    created_at: datetime


class ChannelStateTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    @serialised
    def claim_webhook_event(
        self, channel: str, event_key: str, now: datetime | None = None
    ) -> bool:
        """True the first time an event is claimed, by any worker; False for a repeat."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO webhook_events (channel, event_key, received_at) "
            "VALUES (?, ?, ?)",
            [channel, event_key, iso(now)],
        )
        return cursor.rowcount == 1

    @serialised
    def purge_webhook_events(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Forget events claimed longer ago than `older_than`; returns how many."""
        cutoff = iso(utc(now) - older_than)
        return self.db.execute(
            "DELETE FROM webhook_events WHERE received_at < ?", [cutoff]).rowcount

    @serialised
    def zalo_tokens(self, app_id: str) -> ZaloTokens | None:
        rows = self._rows("SELECT * FROM zalo_tokens WHERE app_id = ?", [app_id])
        if not rows:
            return None
        row = rows[0]
        return ZaloTokens(row["access_token"], row["refresh_token"], row["seed"],
                          datetime.fromisoformat(row["updated_at"]))

    @serialised
    def save_zalo_tokens(
        self,
        app_id: str,
        access_token: str,
        refresh_token: str | None,
        seed: str | None,
        now: datetime | None = None,
    ) -> None:
        """Replace the app's token pair (committed on return: a refresh token works once)."""
        self.db.execute(
            "INSERT INTO zalo_tokens (app_id, access_token, refresh_token, seed, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET "
            "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
            "seed = excluded.seed, updated_at = excluded.updated_at",
            [app_id, access_token, refresh_token, seed, iso(now)],
        )

    @serialised
    def replace_zalo_choices(
        self, user_id: str, choices: Mapping[int, str], now: datetime | None = None
    ) -> None:
        """The numbered choices offered to a Zalo user now, replacing those offered before."""
        stamp = iso(now)
        with write_transaction(self.db):
            self.db.execute("DELETE FROM zalo_choices WHERE user_id = ?", [user_id])
            for number, payload in choices.items():
                self.db.execute(
                    "INSERT INTO zalo_choices (user_id, number, payload, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    [user_id, number, payload, stamp],
                )

    @serialised
    def zalo_choice(self, user_id: str, number: int) -> str | None:
        """The payload of choice `number` last offered to the user, or None."""
        row = self.db.execute(
            "SELECT payload FROM zalo_choices WHERE user_id = ? AND number = ?",
            [user_id, number],
        ).fetchone()
        return row[0] if row else None

    @serialised
    def record_failed_delivery(
        self,
        channel: str,
        user_id: str,
        text: str,
        error_code: int | None,
        error_message: str | None,
        now: datetime | None = None,
    ) -> int:
        """A reply the platform did not deliver, kept so that staff can follow up."""
        return self._insert(
            "deliveries",
            channel=channel, user_id=user_id, text=text, error_code=error_code,
            error_message=error_message, created_at=iso(now),
        )

    @serialised
    def failed_deliveries(
        self, channel: str | None = None, user_id: str | None = None, limit: int = 100
    ) -> list[FailedDelivery]:
        """Replies not delivered, newest first."""
        sql = "SELECT * FROM deliveries WHERE 1 = 1"
        params: list[Any] = []
        if channel is not None:
            sql += " AND channel = ?"
            params.append(channel)
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        rows = self._rows(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [_failed_delivery(row) for row in rows]


def _failed_delivery(row: dict[str, Any]) -> FailedDelivery:
    return FailedDelivery(
        id=row["id"],
        channel=row["channel"],
        user_id=row["user_id"],
        text=row["text"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )
