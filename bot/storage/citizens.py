"""Citizens and where they are in the conversation: `users` (subscriptions, consent,
reachability), `sessions` (the step of a form) and `conversation_topics` (the procedure a
follow-up is read against); and forgetting a citizen on request."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Tables, as_json, iso, serialised, time_or_none
from bot.storage.schema import write_transaction


@dataclass(frozen=True)
class User:
    channel: str
    user_id: str
    language: str
    topics: list[str]
    consent_at: datetime | None
    created_at: datetime
    last_seen_at: datetime
    unreachable: bool


@dataclass(frozen=True)
class Session:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConversationTopic:
    """The procedure a citizen was last answered about, the part of it, and when."""

    procedure_code: str
    aspect: str
    updated_at: datetime
    # Offered beside it when the bot asked which procedure was meant.
    alternatives: tuple[str, ...] = ()


class CitizenTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    @serialised
    def touch_user(self, channel: str, user_id: str, now: datetime | None = None) -> User:
        """The user, created on first contact; last seen now, and reachable since they wrote."""
        stamp = iso(now)
        with write_transaction(self.db):
            self.db.execute(
                "INSERT INTO users (channel, user_id, created_at, last_seen_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (channel, user_id) DO UPDATE SET "
                "last_seen_at = excluded.last_seen_at, unreachable = 0",
                [channel, user_id, stamp, stamp],
            )
        user = self.user(channel, user_id)
        assert user is not None
        return user

    @serialised
    def user(self, channel: str, user_id: str) -> User | None:
        rows = self._rows(
            "SELECT * FROM users WHERE channel = ? AND user_id = ?", [channel, user_id])
        return _user(rows[0]) if rows else None

    @serialised
    def set_topics(
        self, channel: str, user_id: str, topics: list[str], now: datetime | None = None
    ) -> None:
        """Replace the user's subscribed topics (an empty list unsubscribes from everything)."""
        unique = list(dict.fromkeys(topics))
        self._upsert_user(channel, user_id, "topics", as_json(unique), now)

    @serialised
    def set_consent(self, channel: str, user_id: str, now: datetime | None = None) -> None:
        self._upsert_user(channel, user_id, "consent_at", iso(now), now)

    @serialised
    def mark_unreachable(self, channel: str, user_id: str, unreachable: bool = True) -> None:
        self.db.execute(
            "UPDATE users SET unreachable = ? WHERE channel = ? AND user_id = ?",
            [int(unreachable), channel, user_id],
        )

    @serialised
    def subscribers(self, topic: str | None = None, channel: str | None = None) -> list[User]:
        """Reachable users subscribed to `topic`, or to any topic when it is None."""
        sql = "SELECT * FROM users WHERE unreachable = 0"
        params: list[Any] = []
        if topic is None:
            sql += " AND json_array_length(topics) > 0"
        else:
            sql += " AND EXISTS (SELECT 1 FROM json_each(users.topics) WHERE value = ?)"
            params.append(topic)
        if channel is not None:
            sql += " AND channel = ?"
            params.append(channel)
        return [_user(row) for row in self._rows(sql + " ORDER BY channel, user_id", params)]

    def _upsert_user(
        self, channel: str, user_id: str, column: str, value: str, now: datetime | None
    ) -> None:
        stamp = iso(now)
        self.db.execute(
            f"INSERT INTO users (channel, user_id, {column}, created_at, last_seen_at) "
            f"VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, user_id) DO UPDATE SET "
            f"{column} = excluded.{column}",
            [channel, user_id, value, stamp, stamp],
        )

    @serialised
    def session(self, channel: str, user_id: str) -> Session:
        rows = self._rows(
            "SELECT flow, step, data FROM sessions WHERE channel = ? AND user_id = ?",
            [channel, user_id],
        )
        if not rows:
            return Session()
        row = rows[0]
        return Session(row["flow"], row["step"], json.loads(row["data"]))

    @serialised
    def save_session(
        self,
        channel: str,
        user_id: str,
        flow: str | None,
        step: str | None,
        data: dict[str, Any],
        now: datetime | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO sessions (channel, user_id, flow, step, data, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_id) DO UPDATE SET "
            "flow = excluded.flow, step = excluded.step, data = excluded.data, "
            "updated_at = excluded.updated_at",
            [channel, user_id, flow, step, as_json(data), iso(now)],
        )

    @serialised
    def clear_session(self, channel: str, user_id: str) -> None:
        self.db.execute(
            "DELETE FROM sessions WHERE channel = ? AND user_id = ?", [channel, user_id])

    @serialised
    def conversation_topic(self, channel: str, user_id: str,
                           since: datetime | None = None) -> ConversationTopic | None:
        """The citizen's topic, if one was set at or after `since` (older ones have lapsed)."""
        rows = self._rows(
            "SELECT procedure_code, aspect, alternatives, updated_at FROM conversation_topics "
            "WHERE channel = ? AND user_id = ?", [channel, user_id])
        if not rows:
            return None
        row = rows[0]
        topic = ConversationTopic(row["procedure_code"], row["aspect"],
                                  datetime.fromisoformat(row["updated_at"]),
                                  tuple(json.loads(row["alternatives"])))
        if since is not None and topic.updated_at < since:
            return None
        return topic

    @serialised
    def save_conversation_topic(self, channel: str, user_id: str, procedure_code: str,
                                aspect: str, now: datetime | None = None,
                                alternatives: Sequence[str] = ()) -> None:
        self.db.execute(
            "INSERT INTO conversation_topics (channel, user_id, procedure_code, aspect, "
            "alternatives, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_id) "
            "DO UPDATE SET procedure_code = excluded.procedure_code, aspect = excluded.aspect, "
            "alternatives = excluded.alternatives, updated_at = excluded.updated_at",
            [channel, user_id, procedure_code, aspect, as_json(list(alternatives)), iso(now)],
        )

    @serialised
    def delete_user_data(self, channel: str, user_id: str) -> dict[str, int]:
        """Forget a citizen: delete what is theirs, anonymise their petitions (kept for the
        agency's records). Returns the rows deleted, or anonymised, per table."""
        who = [channel, user_id]
        counts: dict[str, int] = {}
        with write_transaction(self.db):
            for table in ("messages", "ratings", "answers", "unanswered", "sessions",
                          "conversation_topics", "users"):
                counts[table] = self.db.execute(
                    f"DELETE FROM {table} WHERE channel = ? AND user_id = ?", who).rowcount
            # Records that hold what the bot told this citizen (migrations 2 to 4): failed
            # replies, messages staff sent, the copies of announcements.
            for table in ("deliveries", "outbox", "announcement_deliveries"):
                counts[table] = self.db.execute(
                    f"DELETE FROM {table} WHERE channel = ? AND user_id = ?", who).rowcount
            if channel == "zalo":
                counts["zalo_choices"] = self.db.execute(
                    "DELETE FROM zalo_choices WHERE user_id = ?", [user_id]).rowcount
            counts["petitions"] = self.db.execute(
                "UPDATE petitions SET user_id = NULL, name = NULL, phone = NULL, email = NULL, "
                "anonymised = 1 WHERE channel = ? AND user_id = ?",
                who,
            ).rowcount
        return counts


def _user(row: dict[str, Any]) -> User:
    return User(
        channel=row["channel"],
        user_id=row["user_id"],
        language=row["language"],
        topics=json.loads(row["topics"]),
        consent_at=time_or_none(row["consent_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
        unreachable=bool(row["unreachable"]),
    )
