"""The database the conversation keeps its state and records in.

Example:
    with Store("var/bot.db") as store:
        store.touch_user("telegram", "12345")
        petition = store.create_petition("telegram", "12345", content="Đường hỏng",
                                         due_date=date(2026, 3, 20))
        print(petition.code)   # PA-2026-000001, on disk before this line runs

One SQLite connection per Store, in WAL mode. Every method that writes commits before it
returns, so whatever the bot acknowledges to a citizen survives the process being killed, and a
second worker on the same file sees it at once. Times are stored as ISO-8601 UTC strings; a
naive `now` passed by a test is taken to be UTC.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.migrations import migrate, write_transaction
from bot.vocabulary import RATING_SUBJECTS, VIETNAM

TABLES = ("users", "sessions", "conversation_topics", "messages", "petitions", "ratings",
          "answers", "unanswered")
UNANSWERED_REASONS = ("no_match", "out_of_scope", "unhelpful")
DIRECTIONS = ("in", "out")


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


@dataclass(frozen=True)
class Petition:
    id: int
    code: str
    channel: str
    user_id: str | None
    name: str | None
    phone: str | None
    email: str | None
    content: str
    agency: str | None
    place: str | None
    procedure_code: str | None
    attachments: list[Any]
    status: str
    due_date: date
    answer: str | None
    answered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    anonymised: bool


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


def _serialised(method):
    """Runs a Store method under the store's lock: one call on the connection at a time."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class Store:
    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every write is either one
        # autocommitted statement or inside write_transaction(), never left open.
        # The web server may call from its thread pool: the connection is shared between
        # threads, one call at a time (see _serialised).
        conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None,
                               check_same_thread=False)
        self._lock = threading.RLock()
        self.db = Database(conn)
        try:
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db)
        except BaseException:
            conn.close()
            raise
        self.path = path
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self.db.close()
            self._closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Users and subscriptions

    @_serialised
    def touch_user(self, channel: str, user_id: str, now: datetime | None = None) -> User:
        """The user, created on first contact; last seen now, and reachable since they wrote."""
        stamp = _iso(now)
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

    @_serialised
    def user(self, channel: str, user_id: str) -> User | None:
        rows = self._rows(
            "SELECT * FROM users WHERE channel = ? AND user_id = ?", [channel, user_id])
        return _user(rows[0]) if rows else None

    @_serialised
    def set_topics(
        self, channel: str, user_id: str, topics: list[str], now: datetime | None = None
    ) -> None:
        """Replace the user's subscribed topics (an empty list unsubscribes from everything)."""
        unique = list(dict.fromkeys(topics))
        self._upsert_user(channel, user_id, "topics", _json(unique), now)

    @_serialised
    def set_consent(self, channel: str, user_id: str, now: datetime | None = None) -> None:
        self._upsert_user(channel, user_id, "consent_at", _iso(now), now)

    @_serialised
    def mark_unreachable(self, channel: str, user_id: str, unreachable: bool = True) -> None:
        self.db.execute(
            "UPDATE users SET unreachable = ? WHERE channel = ? AND user_id = ?",
            [int(unreachable), channel, user_id],
        )

    @_serialised
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
        stamp = _iso(now)
        self.db.execute(
            f"INSERT INTO users (channel, user_id, {column}, created_at, last_seen_at) "
            f"VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, user_id) DO UPDATE SET "
            f"{column} = excluded.{column}",
            [channel, user_id, value, stamp, stamp],
        )

    # Sessions: the state of a multi-step flow, per channel and user

    @_serialised
    def session(self, channel: str, user_id: str) -> Session:
        rows = self._rows(
            "SELECT flow, step, data FROM sessions WHERE channel = ? AND user_id = ?",
            [channel, user_id],
        )
        if not rows:
            return Session()
        row = rows[0]
        return Session(row["flow"], row["step"], json.loads(row["data"]))

    @_serialised
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
            [channel, user_id, flow, step, _json(data), _iso(now)],
        )

    @_serialised
    def clear_session(self, channel: str, user_id: str) -> None:
        self.db.execute(
            "DELETE FROM sessions WHERE channel = ? AND user_id = ?", [channel, user_id])

    # The conversation's topic: what a follow-up message is read against

    @_serialised
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

    @_serialised
    def save_conversation_topic(self, channel: str, user_id: str, procedure_code: str,
                                aspect: str, now: datetime | None = None,
                                alternatives: Sequence[str] = ()) -> None:
        self.db.execute(
            "INSERT INTO conversation_topics (channel, user_id, procedure_code, aspect, "
            "alternatives, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_id) "
            "DO UPDATE SET procedure_code = excluded.procedure_code, aspect = excluded.aspect, "
            "alternatives = excluded.alternatives, updated_at = excluded.updated_at",
            [channel, user_id, procedure_code, aspect, _json(list(alternatives)), _iso(now)],
        )

    # Messages

    @_serialised
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
        _require(direction, DIRECTIONS, "direction")
        return self._insert(
            "messages",
            channel=channel, user_id=user_id, direction=direction, text=text, intent=intent,
            procedure_code=procedure_code, created_at=_iso(now),
        )

    @_serialised
    def purge_messages(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete messages older than the retention period; returns how many were deleted."""
        if older_than_days < 0:
            raise ValueError(f"older_than_days must not be negative, not {older_than_days}")
        cutoff = _iso(_utc(now) - timedelta(days=older_than_days))
        return self.db.execute("DELETE FROM messages WHERE created_at < ?", [cutoff]).rowcount

    # Petitions

    @_serialised
    def create_petition(
        self,
        channel: str,
        user_id: str | None,
        *,
        content: str,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        agency: str | None = None,
        place: str | None = None,
        procedure_code: str | None = None,
        attachments: list[Any] | tuple[Any, ...] = (),
        due_date: date,
        now: datetime | None = None,
    ) -> Petition:
        """Record a petition and give it its code, PA-<year>-<id as 6 digits>, atomically."""
        when = _utc(now)
        stamp = _iso(when)
        with write_transaction(self.db):
            petition_id = self.db.execute(
                "INSERT INTO petitions (channel, user_id, name, phone, email, content, agency, "
                "place, procedure_code, attachments, due_date, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [channel, user_id, name, phone, email, content, agency, place, procedure_code,
                 _json(list(attachments)), due_date.isoformat(), stamp, stamp],
            ).lastrowid
            code = f"PA-{when.astimezone(VIETNAM).year}-{petition_id:06d}"
            self.db.execute("UPDATE petitions SET code = ? WHERE id = ?", [code, petition_id])
        petition = self.petition_by_code(code)
        assert petition is not None
        return petition

    @_serialised
    def petitions_of(self, channel: str, user_id: str) -> list[Petition]:
        """The user's petitions, newest first."""
        rows = self._rows(
            "SELECT * FROM petitions WHERE channel = ? AND user_id = ? ORDER BY id DESC",
            [channel, user_id],
        )
        return [_petition(row) for row in rows]

    @_serialised
    def petition_by_code(self, code: str) -> Petition | None:
        """The petition with this code, however the citizen typed its case and spaces."""
        rows = self._rows("SELECT * FROM petitions WHERE code = ?", [code.strip().upper()])
        return _petition(rows[0]) if rows else None

    # Ratings, answers and the questions the bot could not answer

    @_serialised
    def add_rating(
        self,
        channel: str,
        user_id: str | None,
        subject: str,
        score: int,
        comment: str | None = None,
        procedure_code: str | None = None,
        now: datetime | None = None,
    ) -> int:
        _require(subject, RATING_SUBJECTS, "subject")
        _require_score(score)
        return self._insert(
            "ratings",
            channel=channel, user_id=user_id, subject=subject, procedure_code=procedure_code,
            score=score, comment=comment, created_at=_iso(now),
        )

    def rate_petition(self, channel: str, user_id: str, petition_id: int, score: int,
                      now: datetime | None = None) -> bool:
        """Stores the citizen's rating of how their petition was handled, unless it already
        has one (the buttons may be pressed twice); True when stored."""
        _require_score(score)
        with self.writing() as db:
            taken = db.execute("SELECT 1 FROM ratings WHERE subject = 'petition' AND "
                               "petition_id = ?", [petition_id]).fetchone()
            if taken:
                return False
            self._insert("ratings", channel=channel, user_id=user_id, subject="petition",
                         petition_id=petition_id, score=score, created_at=_iso(now))
        return True

    @_serialised
    def record_answer(
        self,
        channel: str,
        user_id: str | None,
        question: str,
        intent: str,
        procedure_code: str | None,
        aspect: str | None,
        now: datetime | None = None,
    ) -> int:
        return self._insert(
            "answers",
            channel=channel, user_id=user_id, question=question, intent=intent,
            procedure_code=procedure_code, aspect=aspect, created_at=_iso(now),
        )

    @_serialised
    def mark_answer(
        self,
        answer_id: int,
        channel: str,
        user_id: str,
        helpful: bool,
        now: datetime | None = None,
    ) -> bool:
        """Store the citizen's "was this helpful?" beside the answer they got.

        Only that citizen may mark it (False otherwise, e.g. a forged button payload). The first
        "unhelpful" mark also lists the question among the unanswered ones for staff.
        """
        with write_transaction(self.db):
            row = self.db.execute(
                "SELECT question, helpful FROM answers WHERE id = ? AND channel = ? "
                "AND user_id = ?",
                [answer_id, channel, user_id],
            ).fetchone()
            if row is None:
                return False
            question, previous = row
            self.db.execute(
                "UPDATE answers SET helpful = ? WHERE id = ?", [int(helpful), answer_id])
            if not helpful and previous != 0:
                self.db.execute(
                    "INSERT INTO unanswered (channel, user_id, question, reason, created_at) "
                    "VALUES (?, ?, ?, 'unhelpful', ?)",
                    [channel, user_id, question, _iso(now)],
                )
        return True

    @_serialised
    def record_unanswered(
        self,
        channel: str,
        user_id: str | None,
        question: str,
        reason: str,
        now: datetime | None = None,
    ) -> int:
        _require(reason, UNANSWERED_REASONS, "reason")
        return self._insert(
            "unanswered",
            channel=channel, user_id=user_id, question=question, reason=reason,
            created_at=_iso(now),
        )

    # Personal data

    @_serialised
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

    @_serialised
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {
            table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in TABLES
        }

    # Channels: webhook events taken, Zalo tokens and numbered choices, failed deliveries

    @_serialised
    def claim_webhook_event(
        self, channel: str, event_key: str, now: datetime | None = None
    ) -> bool:
        """True the first time an event is claimed, by any worker; False for a repeat."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO webhook_events (channel, event_key, received_at) "
            "VALUES (?, ?, ?)",
            [channel, event_key, _iso(now)],
        )
        return cursor.rowcount == 1

    @_serialised
    def purge_webhook_events(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Forget events claimed longer ago than `older_than`; returns how many."""
        cutoff = _iso(_utc(now) - older_than)
        return self.db.execute(
            "DELETE FROM webhook_events WHERE received_at < ?", [cutoff]).rowcount

    @_serialised
    def zalo_tokens(self, app_id: str) -> ZaloTokens | None:
        rows = self._rows("SELECT * FROM zalo_tokens WHERE app_id = ?", [app_id])
        if not rows:
            return None
        row = rows[0]
        return ZaloTokens(row["access_token"], row["refresh_token"], row["seed"],
                          datetime.fromisoformat(row["updated_at"]))

    @_serialised
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
            [app_id, access_token, refresh_token, seed, _iso(now)],
        )

    @_serialised
    def replace_zalo_choices(
        self, user_id: str, choices: Mapping[int, str], now: datetime | None = None
    ) -> None:
        """The numbered choices offered to a Zalo user now, replacing those offered before."""
        stamp = _iso(now)
        with write_transaction(self.db):
            self.db.execute("DELETE FROM zalo_choices WHERE user_id = ?", [user_id])
            for number, payload in choices.items():
                self.db.execute(
                    "INSERT INTO zalo_choices (user_id, number, payload, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    [user_id, number, payload, stamp],
                )

    @_serialised
    def zalo_choice(self, user_id: str, number: int) -> str | None:
        """The payload of choice `number` last offered to the user, or None."""
        row = self.db.execute(
            "SELECT payload FROM zalo_choices WHERE user_id = ? AND number = ?",
            [user_id, number],
        ).fetchone()
        return row[0] if row else None

    @_serialised
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
            error_message=error_message, created_at=_iso(now),
        )

    @_serialised
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

    # For the modules that keep their own tables in this database (bot/staff/...)

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """The connection for writes that must land together: one transaction, committed when
        the block ends (rolled back on error), under the store's lock."""
        with self._lock, write_transaction(self.db):
            yield self.db

    @contextmanager
    def reading(self) -> Iterator[Database]:
        """The connection, under the store's lock, for a module that runs its own reads."""
        with self._lock:
            yield self.db

    @_serialised
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a read-only query, as dicts."""
        return list(self.db.query(sql, list(params)))

    @_serialised
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One autocommitted statement; the number of rows it changed."""
        return self.db.execute(sql, list(params)).rowcount

    # Helpers

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def _insert(self, table: str, **values: Any) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _iso(now: datetime | None) -> str:
    return _utc(now).isoformat(timespec="seconds")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _require_score(score: object) -> None:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be a whole number from 1 to 5, not {score!r}")


def _require(value: str, allowed: Iterable[str], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def _user(row: dict[str, Any]) -> User:
    return User(
        channel=row["channel"],
        user_id=row["user_id"],
        language=row["language"],
        topics=json.loads(row["topics"]),
        consent_at=_time(row["consent_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
        unreachable=bool(row["unreachable"]),
    )


def _petition(row: dict[str, Any]) -> Petition:
    return Petition(
        id=row["id"],
        code=row["code"],
        channel=row["channel"],
        user_id=row["user_id"],
        name=row["name"],
        phone=row["phone"],
        email=row["email"],
        content=row["content"],
        agency=row["agency"],
        place=row["place"],
        procedure_code=row["procedure_code"],
        attachments=json.loads(row["attachments"]),
        status=row["status"],
        due_date=date.fromisoformat(row["due_date"]),
        answer=row["answer"],
        answered_at=_time(row["answered_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        anonymised=bool(row["anonymised"]),
    )


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
