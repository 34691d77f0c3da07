"""Helpers of the broadcast tests: a clock moved by hand, subscribers in bulk, an announcement
ready to send."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.broadcast.announcements import Announcements
from bot.storage import Store

NEWS_TOPICS = ("cchc", "dich-vu-cong", "ho-tich-cu-tru", "dat-dai-xay-dung",
               "kinh-doanh-bao-hiem")


@dataclass
class Clock:
    """A wall clock that only moves when told."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def subscribe(store: Store, channel: str, users, topics=("cchc",),
              created_at: str = "2026-01-01T00:00:00+00:00") -> None:
    """Subscribers in bulk (as many as a benchmark needs, in one transaction)."""
    with store.writing() as db:
        db.conn.executemany(
            "INSERT INTO users (channel, user_id, topics, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(channel, str(user), json.dumps(list(topics)), created_at, created_at)
             for user in users])


def scheduled(board: Announcements, *, topics=("cchc",), channels=("telegram", "zalo"),
              title: str = "Nộp hồ sơ đất đai trực tuyến", body: str = "Từ 01/7 toàn tỉnh.",
              **fields) -> int:
    """A new announcement, submitted to be sent now; its id."""
    announcement = board.create(title=title, body=body, topics=topics, channels=channels,
                                created_by="hoa", **fields)
    board.submit(announcement.id, by="hoa")
    return announcement.id
