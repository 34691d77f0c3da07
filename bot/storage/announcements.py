"""Administrative-reform news (`announcements`) and the copy of each for each subscriber
(`announcement_deliveries`). The rules (who may approve, what a draft needs) are
bot/broadcast/announcements.py's and the sending protocol bot/broadcast/delivery.py's; the
rows and every statement over them are here.

SQLite-only: json_each over the subscribers' topics, and `rowid` to claim one row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Tables, iso, serialised, stored, time_or_none

# The columns a change of status may set besides it (bot/broadcast/announcements.py).
_MOVABLE = frozenset({"title", "body", "link", "image_url", "topics", "channels", "send_at",
                      "approved_by", "approved_at"})


@dataclass(frozen=True)
class Announcement:
    id: int
    title: str
    body: str
    link: str | None
    image_url: str | None
    topics: tuple[str, ...]
    channels: tuple[str, ...]
    status: str
    send_at: datetime | None
    created_by: str
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AnnouncementTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    # --- announcements -----------------------------------------------------------------------

    @serialised
    def announcement(self, announcement_id: int) -> Announcement | None:
        rows = self._rows("SELECT * FROM announcements WHERE id = ?", [announcement_id])
        return _announcement(rows[0]) if rows else None

    @serialised
    def announcements(self, limit: int, offset: int = 0) -> list[Announcement]:
        return [_announcement(row) for row in self._rows(
            "SELECT * FROM announcements ORDER BY id DESC LIMIT ? OFFSET ?", [limit, offset])]

    @serialised
    def due_announcements(self, now: datetime) -> list[Announcement]:
        """Scheduled ones whose time has come, and those already sending, oldest first."""
        return [_announcement(row) for row in self._rows(
            "SELECT * FROM announcements WHERE status = 'sending' OR (status = 'scheduled' AND "
            "(send_at IS NULL OR send_at <= ?)) ORDER BY id", [iso(now)])]

    @serialised
    def add_announcement(self, *, title: str, body: str, link: str | None,
                         image_url: str | None, topics: Sequence[str],
                         channels: Sequence[str], created_by: str, now: datetime) -> int:
        return self._insert(
            "announcements", title=title, body=body, link=link, image_url=image_url,
            topics=stored(topics), channels=stored(channels), created_by=created_by,
            created_at=iso(now), updated_at=iso(now))

    @serialised
    def move_announcement(self, announcement_id: int, allowed: Sequence[str], status: str,
                          now: datetime, **changes: Any) -> bool:
        """Sets the status (and `changes`) if the announcement is in one of `allowed`; False
        otherwise, so that two officers acting at once cannot both move it."""
        unknown = set(changes) - _MOVABLE
        if unknown:
            raise ValueError(f"an announcement has no settable {sorted(unknown)}")
        values = {column: stored(value) for column, value in changes.items()}
        assignments = "".join(f", {column} = ?" for column in values)
        return bool(self.db.execute(
            f"UPDATE announcements SET status = ?{assignments}, updated_at = ? WHERE id = ? "
            f"AND status IN ({_marks(allowed)})",
            [status, *values.values(), iso(now), announcement_id, *allowed]).rowcount)

    # --- the audience and the copies ---------------------------------------------------------

    @serialised
    def audience_counts(self, topics: Sequence[str], channels: Sequence[str]) -> dict[str, int]:
        """Reachable subscribers of any of `topics`, per channel among `channels`, now."""
        if not topics or not channels:
            return {}
        rows = self._rows(
            f"SELECT channel, count(*) AS n FROM users WHERE unreachable = 0 AND channel IN "
            f"({_marks(channels)}) AND EXISTS (SELECT 1 FROM json_each(users.topics) WHERE "
            f"value IN ({_marks(topics)})) GROUP BY channel", [*channels, *topics])
        return {row["channel"]: row["n"] for row in rows}

    @serialised
    def delivery_counts(self, announcement_id: int) -> list[tuple[str, str, int]]:
        """(channel, status, copies) of the announcement."""
        return [(row["channel"], row["status"], row["n"]) for row in self._rows(
            "SELECT channel, status, count(*) AS n FROM announcement_deliveries "
            "WHERE announcement_id = ? GROUP BY channel, status", [announcement_id])]

    @serialised
    def delivery_reasons(self, announcement_id: int) -> dict[str, int]:
        """Why copies were held back, failed or blocked, most frequent first."""
        return {row["reason"]: row["n"] for row in self._rows(
            "SELECT reason, count(*) AS n FROM announcement_deliveries WHERE announcement_id = ? "
            "AND status IN ('held', 'failed', 'blocked') AND reason IS NOT NULL "
            "GROUP BY reason ORDER BY n DESC", [announcement_id])}


    # --- sending (bot/broadcast/delivery.py) -------------------------------------------------
    # Each statement over the copies names the announcement, channel and status, so that it
    # is one range of the (announcement_id, channel, status) index, however many rows older
    # announcements left in the table.

    def start_sending(self, announcement_id: int, channels: Sequence[str],
                      topics: Sequence[str], now: datetime) -> bool:
        """A scheduled announcement becomes 'sending' with a pending copy for each reachable
        subscriber now (the audience then is the audience); False if it was not scheduled."""
        with self.writing() as db:
            changed = db.execute(
                "UPDATE announcements SET status = 'sending', started_at = ?, updated_at = ? "
                "WHERE id = ? AND status = 'scheduled'",
                [iso(now), iso(now), announcement_id]).rowcount
            if not changed:
                return False
            db.execute(
                f"INSERT OR IGNORE INTO announcement_deliveries (announcement_id, channel, "
                f"user_id, status, updated_at) SELECT ?, channel, user_id, 'pending', ? "
                f"FROM users WHERE unreachable = 0 AND channel IN ({_marks(channels)}) AND "
                f"EXISTS (SELECT 1 FROM json_each(users.topics) WHERE value IN "
                f"({_marks(topics)})) ORDER BY channel, created_at, user_id",
                [announcement_id, iso(now), *channels, *topics])
        return True

    @serialised
    def finish_sending(self, announcement_id: int, now: datetime) -> bool:
        return bool(self.db.execute(
            "UPDATE announcements SET status = 'sent', finished_at = ?, updated_at = ? "
            "WHERE id = ? AND status = 'sending'", [iso(now), iso(now), announcement_id]
        ).rowcount)

    @serialised
    def sending_announcements(self) -> list[tuple[int, tuple[str, ...]]]:
        """(id, channels) of the announcements being sent, oldest first."""
        return [(row["id"], tuple(json.loads(row["channels"]))) for row in self._rows(
            "SELECT id, channels FROM announcements WHERE status = 'sending' ORDER BY id", [])]

    @serialised
    def has_copies(self, announcement_id: int, channel: str, statuses: Sequence[str]) -> bool:
        return self.db.execute(
            f"SELECT 1 FROM announcement_deliveries WHERE announcement_id = ? AND channel = ? "
            f"AND status IN ({_marks(statuses)}) LIMIT 1",
            [announcement_id, channel, *statuses]).fetchone() is not None

    @serialised
    def requeue_sending_copies(self, announcement_id: int, channel: str, now: datetime) -> int:
        """Copies left 'sending' by a stopped process are pending again."""
        return self.db.execute(
            "UPDATE announcement_deliveries SET status = 'pending', updated_at = ? WHERE "
            "announcement_id = ? AND channel = ? AND status = 'sending'",
            [iso(now), announcement_id, channel]).rowcount

    @serialised
    def release_held_copies(self, announcement_id: int, channel: str, now: datetime) -> int:
        """Held copies whose time has come are pending again."""
        return self.db.execute(
            "UPDATE announcement_deliveries SET status = 'pending', reason = NULL, "
            "not_before = NULL, updated_at = ? WHERE announcement_id = ? AND channel = ? AND "
            "status = 'held' AND not_before <= ?",
            [iso(now), announcement_id, channel, iso(now)]).rowcount

    @serialised
    def hold_pending_copies(self, announcement_id: int, channel: str, reason: str,
                            until: datetime, now: datetime) -> int:
        return self.db.execute(
            "UPDATE announcement_deliveries SET status = 'held', reason = ?, not_before = ?, "
            "updated_at = ? WHERE announcement_id = ? AND channel = ? AND status = 'pending'",
            [reason, iso(until), iso(now), announcement_id, channel]).rowcount

    @serialised
    def copies_sent_since(self, channel: str, since: datetime) -> int:
        """Copies sent (or being sent) on the channel since `since`: the day's quota used."""
        return self.db.execute(
            "SELECT count(*) FROM announcement_deliveries WHERE channel = ? AND "
            "(status = 'sending' OR (status = 'sent' AND sent_at >= ?))",
            [channel, iso(since)]).fetchone()[0]

    def claim_copy(self, channel: str, now: datetime, *, gone: str,
                   unreachable: str) -> tuple[int, str] | None:
        """(announcement id, user id) of the next pending copy on the channel, committed as
        'sending' before it is sent; None when there is none. Copies for citizens who since
        deleted their data (`gone`) or blocked the bot (`unreachable`) are recorded as failed
        or blocked with that reason and skipped."""
        with self.writing() as db:
            while True:
                claimed = None
                # Announcement by announcement, oldest first: one step down the index each.
                for (announcement_id,) in db.execute(
                        "SELECT id FROM announcements WHERE status = 'sending' ORDER BY id"
                        ).fetchall():
                    rows = db.execute(
                        "UPDATE announcement_deliveries SET status = 'sending', "
                        "attempts = attempts + 1, updated_at = ? WHERE rowid = (SELECT rowid "
                        "FROM announcement_deliveries WHERE announcement_id = ? AND "
                        "channel = ? AND status = 'pending' LIMIT 1) "
                        "RETURNING announcement_id, user_id",
                        [iso(now), announcement_id, channel]).fetchall()
                    if rows:
                        claimed = (rows[0][0], rows[0][1])
                        break
                if claimed is None:
                    return None
                user = db.execute("SELECT unreachable FROM users WHERE channel = ? AND "
                                  "user_id = ?", [channel, claimed[1]]).fetchone()
                if user is not None and not user[0]:
                    return claimed
                status, reason = ("failed", gone) if user is None else ("blocked", unreachable)
                db.execute(
                    "UPDATE announcement_deliveries SET status = ?, reason = ?, updated_at = ? "
                    "WHERE announcement_id = ? AND channel = ? AND user_id = ?",
                    [status, reason, iso(now), claimed[0], channel, claimed[1]])

    @serialised
    def count_copy_attempt(self, announcement_id: int, channel: str, user_id: str) -> None:
        self.db.execute(
            "UPDATE announcement_deliveries SET attempts = attempts + 1 WHERE "
            "announcement_id = ? AND channel = ? AND user_id = ?",
            [announcement_id, channel, user_id])

    def record_copy(self, announcement_id: int, channel: str, user_id: str, status: str,
                    now: datetime, *, reason: str | None = None,
                    not_before: datetime | None = None, unreachable: bool = False) -> None:
        """The outcome of sending one copy: 'sent', 'held' until `not_before`, 'failed' or
        'blocked'; `unreachable` also marks the citizen so (they blocked the bot)."""
        key = [announcement_id, channel, user_id]
        with self.writing() as db:
            if status == "sent":
                db.execute("UPDATE announcement_deliveries SET status = 'sent', reason = NULL, "
                           "sent_at = ?, updated_at = ? WHERE announcement_id = ? AND "
                           "channel = ? AND user_id = ?", [iso(now), iso(now), *key])
                return
            if status == "held":
                db.execute("UPDATE announcement_deliveries SET status = 'held', reason = ?, "
                           "not_before = ?, updated_at = ? WHERE announcement_id = ? AND "
                           "channel = ? AND user_id = ?",
                           [reason, iso(not_before), iso(now), *key])
            else:
                db.execute("UPDATE announcement_deliveries SET status = ?, reason = ?, "
                           "updated_at = ? WHERE announcement_id = ? AND channel = ? AND "
                           "user_id = ?", [status, reason, iso(now), *key])
            if unreachable:
                db.execute("UPDATE users SET unreachable = 1 WHERE channel = ? AND "
                           "user_id = ?", [channel, user_id])


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _announcement(row: dict[str, Any]) -> Announcement:
    return Announcement(
        id=row["id"], title=row["title"], body=row["body"], link=row["link"],
        image_url=row["image_url"], topics=tuple(json.loads(row["topics"])),
        channels=tuple(json.loads(row["channels"])), status=row["status"],
        send_at=time_or_none(row["send_at"]), created_by=row["created_by"],
        approved_by=row["approved_by"], approved_at=time_or_none(row["approved_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        started_at=time_or_none(row["started_at"]), finished_at=time_or_none(row["finished_at"]))
