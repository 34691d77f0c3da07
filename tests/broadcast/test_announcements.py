"""An announcement's life (bot/broadcast/announcements.py): composed, submitted, approved by a
second officer when the agency requires it, scheduled, cancelled; and who it would reach."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.broadcast.announcements import AnnouncementError, Announcements
from bot.storage import Store
from bot.vocabulary import VIETNAM
from tests.broadcast.support import NEWS_TOPICS, Clock, subscribe

LINK = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"


def draft(board: Announcements, **changes):
    fields = dict(title="Nộp hồ sơ đất đai trực tuyến", body="Từ 01/7 toàn tỉnh.",
                  topics=["cchc"], channels=["telegram", "zalo"], link=LINK, created_by="hoa")
    return board.create(**{**fields, **changes})


def test_a_new_announcement_is_a_draft_with_what_was_written(board: Announcements) -> None:
    announcement = draft(board, image_url="https://example.gov.vn/anh.jpg")
    assert announcement.status == "draft"
    assert (announcement.title, announcement.link, announcement.topics,
            announcement.channels) == ("Nộp hồ sơ đất đai trực tuyến", LINK, ("cchc",),
                                       ("telegram", "zalo"))
    assert announcement.image_url == "https://example.gov.vn/anh.jpg"
    assert board.get(announcement.id) == announcement


@pytest.mark.parametrize(("changes", "words"), [
    ({"title": " "}, "Tiêu đề"),
    ({"body": ""}, "Nội dung"),
    ({"topics": []}, "chủ đề"),
    ({"topics": ["bong-da"]}, "bong-da"),
    ({"channels": ["facebook"]}, "Kênh"),
    ({"link": "http://insecure.example"}, "https://"),
])
def test_what_cannot_be_sent_is_refused_with_the_reason(board: Announcements, changes,
                                                        words: str) -> None:
    with pytest.raises(AnnouncementError, match=words):
        draft(board, **changes)


def test_without_approval_submitting_schedules_it(board: Announcements, clock: Clock) -> None:
    announcement = draft(board)
    at = datetime(2026, 3, 11, 8, 0, tzinfo=VIETNAM)
    scheduled = board.submit(announcement.id, by="hoa", send_at=at)
    assert scheduled.status == "scheduled"
    assert scheduled.send_at == at
    assert board.due(clock()) == []
    assert [a.id for a in board.due(at)] == [announcement.id]


def test_with_approval_a_second_officer_must_approve(store: Store, clock: Clock) -> None:
    board = Announcements(store, requires_approval=True, news_topics=NEWS_TOPICS, clock=clock)
    announcement = draft(board)
    assert board.submit(announcement.id, by="hoa").status == "awaiting_approval"
    assert board.due(clock()) == []
    with pytest.raises(AnnouncementError, match="cán bộ khác"):
        board.approve(announcement.id, by="hoa")
    approved = board.approve(announcement.id, by="lan")
    assert (approved.status, approved.approved_by) == ("scheduled", "lan")
    assert [a.id for a in board.due(clock())] == [announcement.id]


def test_editing_after_submitting_needs_approving_again(store: Store, clock: Clock) -> None:
    board = Announcements(store, requires_approval=True, news_topics=NEWS_TOPICS, clock=clock)
    announcement = draft(board)
    board.submit(announcement.id, by="hoa")
    edited = board.edit(announcement.id, title="Sửa tiêu đề", body="Nội dung mới",
                        topics=["cchc"], channels=["telegram"])
    assert (edited.status, edited.title, edited.channels) == ("draft", "Sửa tiêu đề",
                                                              ("telegram",))


def test_a_scheduled_announcement_can_be_returned_or_cancelled_not_a_sent_one(
        board: Announcements, store: Store) -> None:
    first, second = draft(board), draft(board)
    board.submit(first.id, by="hoa")
    assert board.return_to_draft(first.id).status == "draft"
    board.submit(second.id, by="hoa")
    assert board.cancel(second.id).status == "cancelled"
    assert board.due() == []
    store.execute("UPDATE announcements SET status = 'sent' WHERE id = ?", [first.id])
    with pytest.raises(AnnouncementError, match="Đã gửi xong"):
        board.cancel(first.id)


def test_the_audience_counts_reachable_subscribers_of_any_topic(board: Announcements,
                                                                 store: Store) -> None:
    subscribe(store, "telegram", range(1, 6), topics=["cchc"])
    subscribe(store, "telegram", range(6, 9), topics=["dich-vu-cong", "cchc"])
    subscribe(store, "telegram", range(9, 11), topics=["dat-dai-xay-dung"])
    subscribe(store, "zalo", ["z1", "z2"], topics=["dich-vu-cong"])
    store.mark_unreachable("telegram", "1")
    assert board.audience_size(["cchc"], ["telegram", "zalo"]) == {"telegram": 7}
    assert board.audience_size(["cchc", "dich-vu-cong"], ["telegram", "zalo"]) == {
        "telegram": 7, "zalo": 2}
    assert board.audience_size(["cchc"], ["zalo"]) == {}


def test_times_are_kept_in_utc(board: Announcements, clock: Clock) -> None:
    announcement = draft(board)
    assert announcement.created_at == clock()
    assert announcement.created_at.tzinfo is not None
    assert announcement.created_at.astimezone(UTC) == datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
