"""New petitions and the daily overdue digest reach the staff Telegram group, once each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.config import Settings
from bot.staff.notify import StaffNotifier

NOON_VN = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)   # 12:00 in Vietnam


class Group:
    def __init__(self, accepts: bool = True) -> None:
        self.accepts = accepts
        self.posts = []

    async def __call__(self, post) -> bool:
        if self.accepts:
            self.posts.append(post)
        return self.accepts


def _notifier(store, t, group, base_url="https://bot.example.gov.vn", when=NOON_VN):
    settings = replace(Settings.from_env({}), staff_base_url=base_url, staff_digest_hour=8)
    return StaffNotifier(store, settings, t, group, clock=lambda: when)


def _petition(store, content: str, due: date, channel: str = "zalo"):
    return store.create_petition(channel, "2468", content=content, name="Nguyễn Văn An",
                                 phone="0912345678", due_date=due)


@pytest.mark.asyncio
async def test_each_new_petition_is_posted_once_without_personal_details(store, t) -> None:
    petition = _petition(store, "Đèn đường ở tổ 5 hỏng đã hai tuần", date(2026, 12, 9))
    group = Group()
    notifier = _notifier(store, t, group)

    assert await notifier.announce_new() == 1
    assert await notifier.announce_new() == 0

    [post] = group.posts
    assert petition.code in post.text and "Đèn đường ở tổ 5" in post.text
    assert "09/12/2026" in post.text and "Zalo" in post.text
    assert "Nguyễn Văn An" not in post.text and "0912345678" not in post.text
    assert post.button_url == f"https://bot.example.gov.vn/staff/petitions/{petition.code}"


@pytest.mark.asyncio
async def test_a_post_telegram_refuses_is_tried_again_next_round(store, t) -> None:
    _petition(store, "Rác chưa được thu gom", date(2026, 12, 9))
    group = Group(accepts=False)
    notifier = _notifier(store, t, group)

    assert await notifier.announce_new() == 0
    group.accepts = True
    assert await notifier.announce_new() == 1 and len(group.posts) == 1


@pytest.mark.asyncio
async def test_without_a_staff_address_the_post_has_no_button(store, t) -> None:
    _petition(store, "Rác chưa được thu gom", date(2026, 12, 9))
    group = Group()
    await _notifier(store, t, group, base_url=None).announce_new()
    assert group.posts[0].button_url is None


@pytest.mark.asyncio
async def test_the_digest_lists_overdue_open_petitions_once_a_day(store, t) -> None:
    late = _petition(store, "Hồ sơ đất chưa có kết quả", date(2026, 11, 20))
    answered = _petition(store, "Đã được trả lời", date(2026, 11, 19))
    store.execute("UPDATE petitions SET status = 'answered' WHERE id = ?", [answered.id])
    _petition(store, "Chưa đến hạn", date(2026, 12, 1))
    group = Group()
    notifier = _notifier(store, t, group)

    assert await notifier.digest_if_due()
    assert not await notifier.digest_if_due()   # once a day

    [post] = group.posts
    assert post.text.startswith("⏰ 1 phản ánh đã quá hạn")
    assert late.code in post.text and answered.code not in post.text
    assert post.button_url.endswith("/staff/petitions?due=overdue")


@pytest.mark.asyncio
async def test_the_digest_waits_for_its_hour(store, t) -> None:
    _petition(store, "Hồ sơ đất chưa có kết quả", date(2026, 11, 20))
    early = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)   # 06:00 in Vietnam
    group = Group()
    assert not await _notifier(store, t, group, when=early).digest_if_due()
    assert group.posts == []
