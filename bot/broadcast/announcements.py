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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.storage import Store
from bot.storage.announcements import Announcement

CHANNELS = ("telegram", "zalo")
STATUSES = ("draft", "awaiting_approval", "scheduled", "sending", "sent", "cancelled")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "blocked", "held")
TITLE_MAX = 200
BODY_MAX = 3000


class AnnouncementError(ValueError):
    """A change that cannot be made; the message says why, in Vietnamese for the staff."""


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
        found = self.store.announcement(announcement_id)
        if found is None:
            raise AnnouncementError(f"Không có tin số {announcement_id}.")
        return found

    def recent(self, limit: int = 50, offset: int = 0) -> list[Announcement]:
        return self.store.announcements(limit, offset)

    def due(self, now: datetime | None = None) -> list[Announcement]:
        """Scheduled announcements whose time has come, and those already sending (to resume
        after a restart), oldest first."""
        return self.store.due_announcements(now or self.clock())

    def progress(self, announcement_id: int) -> Progress:
        by_status: dict[str, int] = {}
        by_channel: dict[str, dict[str, int]] = {}
        for channel, status, n in self.store.delivery_counts(announcement_id):
            by_status[status] = by_status.get(status, 0) + n
            by_channel.setdefault(channel, {})[status] = n
        reasons = self.store.delivery_reasons(announcement_id)
        return Progress(sum(by_status.values()), by_status, by_channel, reasons)

    def audience_size(self, topics: Iterable[str], channels: Iterable[str]) -> dict[str, int]:
        """How many reachable subscribers each channel has for these topics, now."""
        return self.store.audience_counts(list(topics), list(channels))

    # --- changes --------------------------------------------------------------------------

    def create(self, *, title: str, body: str, topics: Iterable[str],
               channels: Iterable[str] = CHANNELS, link: str | None = None,
               image_url: str | None = None, created_by: str) -> Announcement:
        values = self._checked(title, body, topics, channels, link, image_url)
        return self.get(self.store.add_announcement(**values, created_by=created_by,
                                                    now=self.clock()))

    def edit(self, announcement_id: int, *, title: str, body: str, topics: Iterable[str],
             channels: Iterable[str], link: str | None = None,
             image_url: str | None = None) -> Announcement:
        """Changes a draft (or one awaiting approval, which then needs approving again)."""
        values = self._checked(title, body, topics, channels, link, image_url)
        self._move(announcement_id, ("draft", "awaiting_approval"), "draft",
                   **values, approved_by=None, approved_at=None)
        return self.get(announcement_id)

    def submit(self, announcement_id: int, *, by: str,
               send_at: datetime | None = None) -> Announcement:
        """Asks for it to be sent at `send_at` (None: as soon as it may be): scheduled at
        once, or awaiting a second officer's approval when the agency requires one."""
        if send_at is not None and send_at.tzinfo is None:
            raise AnnouncementError("Thời điểm gửi phải có múi giờ.")
        status = "awaiting_approval" if self.requires_approval else "scheduled"
        self._move(announcement_id, ("draft",), status, send_at=send_at, approved_by=None,
                   approved_at=None)
        return self.get(announcement_id)

    def approve(self, announcement_id: int, *, by: str) -> Announcement:
        announcement = self.get(announcement_id)
        if announcement.created_by == by:
            raise AnnouncementError("Tin phải được một cán bộ khác người soạn phê duyệt.")
        self._move(announcement_id, ("awaiting_approval",), "scheduled", approved_by=by,
                   approved_at=self.clock())
        return self.get(announcement_id)

    def return_to_draft(self, announcement_id: int) -> Announcement:
        """Back to the writer: not approved, or no longer to be sent at the set time."""
        self._move(announcement_id, ("awaiting_approval", "scheduled"), "draft",
                   approved_by=None, approved_at=None)
        return self.get(announcement_id)

    def cancel(self, announcement_id: int) -> Announcement:
        self._move(announcement_id, ("draft", "awaiting_approval", "scheduled"), "cancelled")
        return self.get(announcement_id)

    def _move(self, announcement_id: int, allowed: tuple[str, ...], status: str,
              **changes: Any) -> None:
        if not self.store.move_announcement(announcement_id, allowed, status, self.clock(),
                                            **changes):
            current = self.get(announcement_id).status
            raise AnnouncementError(
                f"Tin số {announcement_id} đang ở trạng thái «{STATUS_LABELS[current]}», "
                f"không thể chuyển sang «{STATUS_LABELS[status]}».")

    def _checked(self, title: str, body: str, topics: Iterable[str], channels: Iterable[str],
                 link: str | None, image_url: str | None) -> dict[str, Any]:
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
        return dict(title=title, body=body, link=link or None, image_url=image_url or None,
                    topics=topics, channels=channels)


STATUS_LABELS = {
    "draft": "Bản nháp",
    "awaiting_approval": "Chờ phê duyệt",
    "scheduled": "Đã lên lịch",
    "sending": "Đang gửi",
    "sent": "Đã gửi xong",
    "cancelled": "Đã hủy",
}
