"""Announcements: administrative-reform news for the citizens who subscribed, and their life.

Example:
    board = Announcements(store, requires_approval=True)
    draft = board.create(title="Từ 01/01/2027 nộp hồ sơ đất đai trực tuyến toàn tỉnh",
                         body="…", topics=["cchc"], channels=["telegram", "zalo"],
                         link="https://dichvucong.gov.vn/…", created_by="hoa")
    board.submit(draft.id, by="hoa", send_at=None)   # awaiting a second officer's approval
    board.approve(draft.id, by="lan")                # scheduled: the sender takes it up
    board.progress(draft.id)                         # counts of sent, failed, blocked, held…

Status: draft → (awaiting_approval →) scheduled → sending → sent, or cancelled before it is
sent. When the agency requires approval (BROADCAST_REQUIRES_APPROVAL), the officer who
approves must not be the one who wrote it. The delivery itself is bot/broadcast/delivery.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.storage import Store

CHANNELS = ("telegram", "zalo")
STATUSES = ("draft", "awaiting_approval", "scheduled", "sending", "sent", "cancelled")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "blocked", "held")
TITLE_MAX = 200
BODY_MAX = 3000


class AnnouncementError(ValueError):
    """A change that cannot be made; the message says why, in Vietnamese for the staff."""


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


@dataclass(frozen=True)
class Progress:
    """How far the delivery is: copies by status, and held-back reasons."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def done(self) -> int:
        return sum(self.count(s) for s in ("sent", "failed", "blocked"))


class Announcements:
    def __init__(self, store: Store, *, requires_approval: bool = False,
                 news_topics: Iterable[str] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.requires_approval = requires_approval
        self.news_topics = tuple(news_topics) if news_topics is not None else None
        self.clock = clock

    # --- reading --------------------------------------------------------------------------

    def get(self, announcement_id: int) -> Announcement:
        rows = self.store.rows("SELECT * FROM announcements WHERE id = ?", [announcement_id])
        if not rows:
            raise AnnouncementError(f"Không có tin số {announcement_id}.")
        return _announcement(rows[0])

    def recent(self, limit: int = 50, offset: int = 0) -> list[Announcement]:
        return [_announcement(row) for row in self.store.rows(
            "SELECT * FROM announcements ORDER BY id DESC LIMIT ? OFFSET ?", [limit, offset])]

    def due(self, now: datetime | None = None) -> list[Announcement]:
        """Scheduled announcements whose time has come, and those already sending (to resume
        after a restart), oldest first."""
        moment = _iso(now or self.clock())
        return [_announcement(row) for row in self.store.rows(
            "SELECT * FROM announcements WHERE status = 'sending' OR (status = 'scheduled' AND "
            "(send_at IS NULL OR send_at <= ?)) ORDER BY id", [moment])]

    def progress(self, announcement_id: int) -> Progress:
        rows = self.store.rows(
            "SELECT channel, status, count(*) AS n FROM announcement_deliveries "
            "WHERE announcement_id = ? GROUP BY channel, status", [announcement_id])
        by_status: dict[str, int] = {}
        by_channel: dict[str, dict[str, int]] = {}
        for row in rows:
            by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
            by_channel.setdefault(row["channel"], {})[row["status"]] = row["n"]
        reasons = {row["reason"]: row["n"] for row in self.store.rows(
            "SELECT reason, count(*) AS n FROM announcement_deliveries WHERE announcement_id = ? "
            "AND status IN ('held', 'failed', 'blocked') AND reason IS NOT NULL "
            "GROUP BY reason ORDER BY n DESC", [announcement_id])}
        return Progress(sum(by_status.values()), by_status, by_channel, reasons)

    def audience_size(self, topics: Iterable[str], channels: Iterable[str]) -> dict[str, int]:
        """How many reachable subscribers each channel has for these topics, now."""
        topics, channels = list(topics), list(channels)
        if not topics or not channels:
            return {}
        rows = self.store.rows(
            f"SELECT channel, count(*) AS n FROM users WHERE unreachable = 0 AND channel IN "
            f"({_marks(channels)}) AND EXISTS (SELECT 1 FROM json_each(users.topics) WHERE "
            f"value IN ({_marks(topics)})) GROUP BY channel", [*channels, *topics])
        return {row["channel"]: row["n"] for row in rows}

    # --- changes --------------------------------------------------------------------------

    def create(self, *, title: str, body: str, topics: Iterable[str],
               channels: Iterable[str] = CHANNELS, link: str | None = None,
               image_url: str | None = None, created_by: str) -> Announcement:
        values = self._checked(title, body, topics, channels, link, image_url)
        now = _iso(self.clock())
        with self.store.writing() as db:
            announcement_id = db.execute(
                "INSERT INTO announcements (title, body, link, image_url, topics, channels, "
                "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, created_by, now, now]).lastrowid
        return self.get(announcement_id)

    def edit(self, announcement_id: int, *, title: str, body: str, topics: Iterable[str],
             channels: Iterable[str], link: str | None = None,
             image_url: str | None = None) -> Announcement:
        """Changes a draft (or one awaiting approval, which then needs approving again)."""
        values = self._checked(title, body, topics, channels, link, image_url)
        self._move(announcement_id, ("draft", "awaiting_approval"), "draft",
                   "title = ?, body = ?, link = ?, image_url = ?, topics = ?, channels = ?, "
                   "approved_by = NULL, approved_at = NULL", values)
        return self.get(announcement_id)

    def submit(self, announcement_id: int, *, by: str,
               send_at: datetime | None = None) -> Announcement:
        """Asks for it to be sent at `send_at` (None: as soon as it may be): scheduled at
        once, or awaiting a second officer's approval when the agency requires one."""
        if send_at is not None and send_at.tzinfo is None:
            raise AnnouncementError("Thời điểm gửi phải có múi giờ.")
        status = "awaiting_approval" if self.requires_approval else "scheduled"
        self._move(announcement_id, ("draft",), status,
                   "send_at = ?, approved_by = NULL, approved_at = NULL",
                   [_iso(send_at) if send_at else None])
        return self.get(announcement_id)

    def approve(self, announcement_id: int, *, by: str) -> Announcement:
        announcement = self.get(announcement_id)
        if announcement.created_by == by:
            raise AnnouncementError("Tin phải được một cán bộ khác người soạn phê duyệt.")
        self._move(announcement_id, ("awaiting_approval",), "scheduled",
                   "approved_by = ?, approved_at = ?", [by, _iso(self.clock())])
        return self.get(announcement_id)

    def return_to_draft(self, announcement_id: int) -> Announcement:
        """Back to the writer: not approved, or no longer to be sent at the set time."""
        self._move(announcement_id, ("awaiting_approval", "scheduled"), "draft",
                   "approved_by = NULL, approved_at = NULL", [])
        return self.get(announcement_id)

    def cancel(self, announcement_id: int) -> Announcement:
        self._move(announcement_id, ("draft", "awaiting_approval", "scheduled"), "cancelled",
                   "", [])
        return self.get(announcement_id)

    def _move(self, announcement_id: int, allowed: tuple[str, ...], status: str,
              assignments: str, params: list[Any]) -> None:
        extra = f", {assignments}" if assignments else ""
        changed = self.store.execute(
            f"UPDATE announcements SET status = ?{extra}, updated_at = ? WHERE id = ? AND "
            f"status IN ({_marks(allowed)})",
            [status, *params, _iso(self.clock()), announcement_id, *allowed])
        if not changed:
            current = self.get(announcement_id).status
            raise AnnouncementError(
                f"Tin số {announcement_id} đang ở trạng thái «{STATUS_LABELS[current]}», "
                f"không thể chuyển sang «{STATUS_LABELS[status]}».")

    def _checked(self, title: str, body: str, topics: Iterable[str], channels: Iterable[str],
                 link: str | None, image_url: str | None) -> list[Any]:
        title, body = title.strip(), body.strip()
        topics = list(dict.fromkeys(t.strip() for t in topics if t.strip()))
        channels = list(dict.fromkeys(c.strip() for c in channels if c.strip()))
        if not title or len(title) > TITLE_MAX:
            raise AnnouncementError(f"Tiêu đề cần từ 1 đến {TITLE_MAX} ký tự.")
        if not body or len(body) > BODY_MAX:
            raise AnnouncementError(f"Nội dung cần từ 1 đến {BODY_MAX} ký tự.")
        if not topics:
            raise AnnouncementError("Chọn ít nhất một chủ đề tin.")
        if self.news_topics is not None:
            unknown = [t for t in topics if t not in self.news_topics]
            if unknown:
                raise AnnouncementError(f"Chủ đề không có: {', '.join(unknown)}.")
        if not channels or any(c not in CHANNELS for c in channels):
            raise AnnouncementError("Kênh gửi là telegram và/hoặc zalo.")
        for name, url in (("Đường dẫn", link), ("Ảnh", image_url)):
            if url and not url.startswith("https://"):
                raise AnnouncementError(f"{name} phải là địa chỉ bắt đầu bằng https://.")
        return [title, body, link or None, image_url or None,
                json.dumps(topics, ensure_ascii=False), json.dumps(channels)]


STATUS_LABELS = {
    "draft": "Bản nháp",
    "awaiting_approval": "Chờ phê duyệt",
    "scheduled": "Đã lên lịch",
    "sending": "Đang gửi",
    "sent": "Đã gửi xong",
    "cancelled": "Đã hủy",
}


def _announcement(row: dict[str, Any]) -> Announcement:
    return Announcement(
        id=row["id"], title=row["title"], body=row["body"], link=row["link"],
        image_url=row["image_url"], topics=tuple(json.loads(row["topics"])),
        channels=tuple(json.loads(row["channels"])), status=row["status"],
        send_at=_time(row["send_at"]), created_by=row["created_by"],
        approved_by=row["approved_by"], approved_at=_time(row["approved_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        started_at=_time(row["started_at"]), finished_at=_time(row["finished_at"]))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)
