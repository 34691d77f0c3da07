"""The petition desk's pages over HTTP: the inbox, a petition's page, and officers' actions,
with roles, CSRF, escaping of what citizens wrote, and the audit log."""

from __future__ import annotations

import functools
import html
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.staff.app import staff_mount
from bot.staff.petition_pages import petition_routes
from tests.bot.staff.conftest import csrf, log_in
from tests.bot.staff.petition_support import make_petition

SCRIPT = "<script>alert(1)</script> và <b>đậm</b>: đèn đường hỏng cả tháng nay"


def test_the_inbox_lists_and_filters_with_due_dates_highlighted(store, desk_client) -> None:
    late = make_petition(store, due=date(2026, 11, 20), content="Rác thải ùn ứ ở chợ An Bình")
    soon = make_petition(store, due=date(2026, 11, 26), status="in_progress")
    later = make_petition(store, due=date(2026, 12, 9), channel="zalo", user="z1")
    log_in(desk_client, "minh")  # a viewer may read

    everything = desk_client.get("/staff/petitions")
    overdue = desk_client.get("/staff/petitions?due=overdue")
    working = desk_client.get("/staff/petitions?status=in_progress&status=waiting")
    zalo = desk_client.get("/staff/petitions?channel=zalo&q=")

    assert everything.status_code == 200
    assert all(code in everything.text for code in (late, soon, later))
    assert '<tr class="overdue">' in everything.text and '<tr class="due-soon">' in everything.text
    assert late in overdue.text and soon not in overdue.text
    assert soon in working.text and late not in working.text
    assert later in zalo.text and late not in zalo.text
    assert "Rác thải ùn ứ" in everything.text


def test_paging_links_keep_the_filters(store, site, desk) -> None:
    for number in range(3):
        make_petition(store, user=f"u{number}")
    client = TestClient(Starlette(routes=[staff_mount(
        site, functools.partial(petition_routes, desk=desk, page_size=2))]))
    log_in(client, "lan")

    first = client.get("/staff/petitions?status=new&agency=&order=newest")

    [link] = re.findall(r'href="([^"]*page=2[^"]*)"', first.text)
    query = parse_qs(urlsplit(html.unescape(link)).query)
    assert query == {"status": ["new"], "order": ["newest"], "page": ["2"]}
    assert "Trang 1/2" in first.text
    second = client.get(html.unescape(link))
    assert second.text.count('<a href="/staff/petitions/PA-') == 1


def test_what_a_citizen_wrote_is_shown_as_text(store, desk_client) -> None:
    code = make_petition(store, content=SCRIPT, name="<i>Nguyễn</i>",
                         attachments=[{"name": "<img src=x onerror=alert(1)>.jpg",
                                       "mime": "image/jpeg", "size": 2048, "ref": "x"}])
    log_in(desk_client, "lan")

    for page in (desk_client.get("/staff/petitions"), desk_client.get(f"/staff/petitions/{code}")):
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text and "<b>đậm</b>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "&lt;b&gt;đậm&lt;/b&gt;" in page.text
        assert "<i>Nguyễn</i>" not in page.text
    assert "<img src=x" not in desk_client.get(f"/staff/petitions/{code}").text


def test_the_petition_page_shows_what_was_sent_and_the_forms(store, desk_client) -> None:
    code = make_petition(store, attachments=[
        {"name": "don_de_nghi.pdf", "mime": "application/pdf", "size": 1_300_000,
         "ref": "https://f.zalo.me/don.pdf"}])
    store.log_message("telegram", "1001", "in", "tôi muốn gửi phản ánh về đèn đường")
    log_in(desk_client, "lan")

    page = desk_client.get(f"/staff/petitions/{code.lower()}")

    assert page.status_code == 200 and code in page.text
    assert "don_de_nghi.pdf" in page.text and "application/pdf" in page.text
    assert "1,2 MB" in page.text
    for action in ("answer", "status", "assign", "note", "transfer", "duplicate"):
        assert f'action="/staff/petitions/{code}/{action}"' in page.text
    assert desk_client.get("/staff/petitions/PA-2026-999999").status_code == 404


def test_a_viewer_sees_the_page_without_the_forms(store, desk_client) -> None:
    code = make_petition(store)
    log_in(desk_client, "minh")

    page = desk_client.get(f"/staff/petitions/{code}")

    assert page.status_code == 200 and code in page.text
    assert f"/staff/petitions/{code}/answer" not in page.text
    assert "chỉ có quyền xem" in page.text


def test_an_officer_answers_and_closes(store, site, desk_client, senders, t) -> None:
    code = make_petition(store)
    log_in(desk_client, "lan")
    token = csrf(desk_client, f"/staff/petitions/{code}")

    response = desk_client.post(f"/staff/petitions/{code}/answer", data={
        "csrf_token": token, "text": "Đã thay bóng đèn ngày 24/11.", "close": "1"},
        follow_redirects=False)

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/staff/petitions/{code}?")
    assert parse_qs(urlsplit(location).query) == {"done": ["answered_closed"],
                                                  "sent": ["delivered"]}
    row = store.rows("SELECT status, answer, closed_at FROM petitions WHERE code = ?",
                     [code])[0]
    assert row["status"] == "closed" and row["answer"] == "Đã thay bóng đèn ngày 24/11."
    assert row["closed_at"]
    assert senders["telegram"].texts[0] == t("petition.notice.answer", code=code,
                                             answer="Đã thay bóng đèn ngày 24/11.")
    page = desk_client.get(location)
    assert "Đã lưu câu trả lời và đóng phản ánh." in page.text
    assert "Tin đã tới người dân." in page.text
    [entry] = [e for e in site.audit.recent() if e.action == "petition.answer"]
    assert entry.staff == "lan" and entry.target == code
    assert entry.details == {"close": True, "delivery": "delivered"}


def test_an_answer_that_cannot_be_delivered_says_why(store, desk_client) -> None:
    code = make_petition(store, channel="zalo", user="z9")
    store.mark_unreachable("zalo", "z9")
    log_in(desk_client, "lan")
    token = csrf(desk_client, f"/staff/petitions/{code}")

    response = desk_client.post(f"/staff/petitions/{code}/answer", data={
        "csrf_token": token, "text": "Đã xử lý."})

    assert response.status_code == 200  # after the redirect
    assert "Tin KHÔNG tới được người dân" in response.text
    assert "quá thời hạn được nhắn tin" in response.text  # Zalo's window, in the reason
    assert "Câu trả lời chưa tới được người dân" in response.text


def test_a_viewer_cannot_change_a_status(store, site, desk_client) -> None:
    code = make_petition(store)
    log_in(desk_client, "minh")
    token = csrf(desk_client, f"/staff/petitions/{code}")

    response = desk_client.post(f"/staff/petitions/{code}/status",
                                data={"csrf_token": token, "status": "closed"})

    assert response.status_code == 403
    assert store.rows("SELECT status FROM petitions WHERE code = ?", [code])[0]["status"] == \
        "new"
    assert store.rows("SELECT * FROM petition_events") == []
    assert not [e for e in site.audit.recent() if e.action.startswith("petition.")]


def test_a_form_without_its_csrf_token_is_refused(store, desk_client) -> None:
    code = make_petition(store)
    log_in(desk_client, "lan")

    missing = desk_client.post(f"/staff/petitions/{code}/note", data={"text": "Ghi chú"})
    wrong = desk_client.post(f"/staff/petitions/{code}/note",
                             data={"text": "Ghi chú", "csrf_token": "giả mạo"})

    assert missing.status_code == wrong.status_code == 403
    assert store.rows("SELECT * FROM petition_events") == []


def test_a_refused_action_shows_the_reason_on_the_page(store, desk_client) -> None:
    code = make_petition(store)
    log_in(desk_client, "lan")
    token = csrf(desk_client, f"/staff/petitions/{code}")

    response = desk_client.post(f"/staff/petitions/{code}/status",
                                data={"csrf_token": token, "status": "waiting", "message": ""})

    assert response.status_code == 400 and "bổ sung thông tin gì" in response.text
    assert store.rows("SELECT status FROM petitions WHERE code = ?", [code])[0]["status"] == \
        "new"


def test_every_action_is_in_the_audit_log(store, site, desk_client) -> None:
    code = make_petition(store)
    original = make_petition(store, user="1002")
    other = make_petition(store, user="1003")
    log_in(desk_client, "lan")
    token = csrf(desk_client, f"/staff/petitions/{code}")

    def post(target: str, action: str, **data: str) -> None:
        response = desk_client.post(f"/staff/petitions/{target}/{action}",
                                    data={"csrf_token": token, **data},
                                    follow_redirects=False)
        assert response.status_code == 303, response.text

    post(code, "assign", assigned_to="lan", agency="UBND phường An Bình")
    post(code, "note", text="Đã gọi điện cho người dân.")
    post(code, "status", status="waiting", message="Bạn cho biết số nhà gần nhất.")
    post(code, "duplicate", original=original)
    post(other, "transfer", agency="Sở Xây dựng tỉnh")

    actions = [(e.action, e.target) for e in reversed(site.audit.recent())
               if e.action.startswith("petition.")]
    assert actions == [("petition.assign", code), ("petition.note", code),
                       ("petition.status", code), ("petition.duplicate", code),
                       ("petition.transfer", other)]
    page = desk_client.get(f"/staff/petitions/{code}").text
    assert "Đã gọi điện cho người dân." in page and original in page
