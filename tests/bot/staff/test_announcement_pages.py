"""The communication officers' pages: compose, preview, approve by a second officer, progress."""

from __future__ import annotations

from functools import partial

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.broadcast.announcements import Announcements
from bot.staff.announcement_pages import announcement_routes
from bot.staff.app import staff_mount
from tests.bot.staff.conftest import PASSWORD, csrf, log_in

NEWS = [("cchc", "Tin cải cách hành chính"), ("dich-vu-cong", "Dịch vụ công trực tuyến")]


@pytest.fixture
def board(store) -> Announcements:
    return Announcements(store, requires_approval=True, news_topics=[t for t, _ in NEWS])


@pytest.fixture
def pages(site, board, t) -> TestClient:
    site.accounts.add("hoa", "Lê Thị Hoa", "officer", PASSWORD)
    return TestClient(Starlette(routes=[staff_mount(site, partial(
        announcement_routes, board=board, news_topics=NEWS, text=t))]))


def compose(client: TestClient, **fields):
    data = {"csrf_token": csrf(client, "/staff/announcements/new"),
            "title": "Nộp hồ sơ đất đai trực tuyến từ 01/12",
            "body": "Từ ngày 01/12/2026, người dân nộp hồ sơ đất đai trên Cổng Dịch vụ công.",
            "topics": ["cchc"], "channels": ["telegram", "zalo"],
            "link": "https://dichvucong.gov.vn/", **fields}
    return client.post("/staff/announcements/new", data=data, follow_redirects=False)


def test_an_officer_composes_and_sees_the_preview_on_each_channel(pages, store) -> None:
    store.touch_user("telegram", "42")
    store.set_topics("telegram", "42", ["cchc"])
    log_in(pages, "hoa")

    response = compose(pages, body="Nội dung có <script>alert(1)</script> thử")
    page = pages.get(response.headers["location"])

    assert response.status_code == 303 and page.status_code == 200
    assert "Bản nháp" in page.text and "Telegram: 1" in page.text
    assert "🔕 Ngừng nhận tin" in page.text          # the unsubscribe button, previewed
    assert page.text.count('class="card preview"') == 2
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_sending_needs_a_second_officer_when_the_agency_requires_it(pages, board) -> None:
    log_in(pages, "hoa")
    location = compose(pages).headers["location"]
    number = int(location.split("/")[-1].split("?")[0])
    pages.post(f"/staff/announcements/{number}/submit",
               data={"csrf_token": csrf(pages, location), "when": "now"})
    assert board.get(number).status == "awaiting_approval"

    own = pages.post(f"/staff/announcements/{number}/approve",
                     data={"csrf_token": csrf(pages, location)}, follow_redirects=False)
    assert "error=" in own.headers["location"] and board.get(number).status == \
        "awaiting_approval"

    second = TestClient(pages.app)   # another officer, in another browser
    log_in(second, "lan")
    second.post(f"/staff/announcements/{number}/approve",
                data={"csrf_token": csrf(second, location)})
    approved = board.get(number)
    assert (approved.status, approved.approved_by) == ("scheduled", "lan")


def test_a_scheduled_time_is_read_as_vietnam_time(pages, board) -> None:
    log_in(pages, "hoa")
    location = compose(pages).headers["location"]
    number = int(location.split("/")[-1].split("?")[0])

    pages.post(f"/staff/announcements/{number}/submit",
               data={"csrf_token": csrf(pages, location), "when": "later",
                     "send_at": "2026-12-01T09:00"})

    assert board.get(number).send_at.isoformat() == "2026-12-01T02:00:00+00:00"


def test_a_draft_without_topic_or_with_a_plain_http_link_is_refused(pages) -> None:
    log_in(pages, "hoa")
    assert compose(pages, topics=[]).status_code == 400
    refused = compose(pages, link="http://example.com/")
    assert refused.status_code == 400 and "https://" in refused.text


def test_a_viewer_reads_but_cannot_compose(pages, board) -> None:
    board.create(title="Tin", body="Nội dung", topics=["cchc"], created_by="hoa")
    log_in(pages, "minh")
    assert pages.get("/staff/announcements").status_code == 200
    assert pages.get("/staff/announcements/new").status_code == 403
    assert pages.post("/staff/announcements/1/cancel",
                      data={"csrf_token": csrf(pages, "/staff/announcements")}
                      ).status_code == 403
    assert board.get(1).status == "draft"


def test_progress_is_counted_by_channel(pages, board, store) -> None:
    board.create(title="Tin", body="Nội dung", topics=["cchc"], created_by="hoa")
    now = "2026-11-25T03:00:00+00:00"
    for user, status in (("1", "sent"), ("2", "sent"), ("3", "blocked"), ("4", "held")):
        store.execute("INSERT INTO announcement_deliveries (announcement_id, channel, user_id, "
                      "status, updated_at) VALUES (1, 'telegram', ?, ?, ?)", [user, status, now])
    log_in(pages, "minh")

    listing = pages.get("/staff/announcements").text
    detail = pages.get("/staff/announcements/1").text

    assert "2 / 4" in listing
    assert "Tiến độ gửi" in detail and "Tạm giữ theo quy định" in detail
