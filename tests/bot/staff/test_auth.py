"""Staff log-in, lock-out, sessions, CSRF and roles, over the real routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.staff.accounts import ADDRESS_FAILURE_LIMIT, LOCK_AFTER_FAILURES, AccountError
from bot.staff.passwords import WeakPasswordError, hash_password, verify_password
from bot.staff.security import safe_next
from tests.bot.staff.conftest import PASSWORD, csrf, log_in


@pytest.mark.real_password_cost
def test_passwords_are_stored_salted_and_slow_and_verify() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$16384$")
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first) and not verify_password("sai mật khẩu", first)
    assert not verify_password(PASSWORD, "garbage")
    with pytest.raises(WeakPasswordError):
        hash_password("ngắn")


def test_the_right_password_logs_in_with_an_http_only_cookie(client) -> None:
    response = log_in(client, "lan")

    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    cookie = response.headers["set-cookie"]
    assert "staff_session=" in cookie and "httponly" in cookie.lower()
    assert "path=/staff" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "Nguyễn Thị Lan" in client.get("/staff/accounts").text  # refused, but logged in
    assert client.get("/staff/login", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, site) -> None:
    wrong = log_in(client, "lan", "mật khẩu sai rồi")
    unknown = log_in(client, "nobody", PASSWORD)

    assert wrong.status_code == unknown.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.text
    assert wrong.text.count("không đúng") == unknown.text.count("không đúng")
    assert "staff_session" not in client.cookies or client.get(
        "/staff/accounts", follow_redirects=False).status_code == 303
    assert [e.action for e in site.audit.recent()][:2] == ["login.failed", "login.failed"]


def test_five_failures_lock_the_account_even_against_the_right_password(client, site) -> None:
    for _ in range(LOCK_AFTER_FAILURES):
        log_in(client, "lan", "mật khẩu sai rồi")

    locked = log_in(client, "lan")

    assert locked.status_code == 401 and "tạm khóa" in locked.text
    site.accounts.unlock("lan")
    assert log_in(client, "lan").status_code == 303


def test_the_lock_ends_by_itself_after_a_while(site) -> None:
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    site.accounts.clock = lambda: now
    for _ in range(LOCK_AFTER_FAILURES):
        site.accounts.authenticate("lan", "mật khẩu sai rồi")
    assert site.accounts.authenticate("lan", PASSWORD).reason == "locked"

    site.accounts.clock = lambda: now + timedelta(minutes=16)
    assert site.accounts.authenticate("lan", PASSWORD).reason == "ok"


def test_failures_slow_the_next_answers_from_that_address(site) -> None:
    site.accounts.delay_base = 0.25
    delays = [site.accounts.authenticate("nobody", "x" * 12, address="10.0.0.9").delay
              for _ in range(4)]
    assert delays == [0.0, 0.25, 0.5, 1.0]


def test_an_address_guessing_many_accounts_is_refused(site) -> None:
    for number in range(ADDRESS_FAILURE_LIMIT):
        site.accounts.authenticate(f"user{number}", "mật khẩu sai rồi", address="10.0.0.66")

    refused = site.accounts.authenticate("lan", PASSWORD, address="10.0.0.66")
    other_address = site.accounts.authenticate("lan", PASSWORD, address="10.0.0.7")

    assert refused.reason == "too_many" and refused.account is None
    assert other_address.reason == "ok"


def test_a_form_without_the_csrf_token_is_refused(client) -> None:
    no_token_login = client.post("/staff/login", data={"username": "admin",
                                                       "password": PASSWORD})
    assert no_token_login.status_code == 403

    log_in(client, "admin")
    forged = client.post("/staff/accounts/lan/disable", data={"csrf_token": "forged"})
    missing = client.post("/staff/accounts/lan/disable")
    assert forged.status_code == missing.status_code == 403
    assert "Phiên làm việc đã hết hạn" in forged.text


def test_a_form_posted_from_another_site_is_refused(client, site) -> None:
    log_in(client, "admin")
    token = csrf(client)

    response = client.post("/staff/accounts/lan/disable", data={"csrf_token": token},
                           headers={"origin": "https://evil.example"})

    assert response.status_code == 403
    assert site.accounts.get("lan").active


def test_roles_decide_what_a_page_allows(client, site) -> None:
    log_in(client, "minh")  # a viewer
    assert client.get("/staff/accounts").status_code == 403
    assert client.get("/staff/audit").status_code == 403
    token = csrf(client, "/staff/accounts")  # even a refusal page carries the session's token
    assert client.post("/staff/accounts/lan/disable",
                       data={"csrf_token": token}).status_code == 403
    assert site.accounts.get("lan").active


def test_an_admin_disables_an_account_and_its_session_ends(client, site) -> None:
    from starlette.testclient import TestClient

    officer = TestClient(client.app)
    log_in(officer, "lan")
    assert officer.get("/staff/login", follow_redirects=False).status_code == 303

    log_in(client, "admin")
    response = client.post("/staff/accounts/lan/disable", data={"csrf_token": csrf(client)},
                           follow_redirects=False)

    assert response.status_code == 303 and not site.accounts.get("lan").active
    assert officer.get("/staff/accounts", follow_redirects=False).status_code == 303
    assert log_in(officer, "lan").status_code == 401
    assert "account.disable" in [entry.action for entry in site.audit.recent()]


def test_pages_need_a_log_in_and_come_back_afterwards(client) -> None:
    response = client.get("/staff/audit?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/audit%3Fpage%3D2"
    assert client.post("/staff/logout").status_code == 401


def test_a_tampered_session_cookie_is_not_a_session(client) -> None:
    log_in(client, "admin")
    value = client.cookies.get("staff_session")
    client.cookies.set("staff_session", value[:-4] + "AAAA", path="/staff")

    assert client.get("/staff/audit", follow_redirects=False).status_code == 303


def test_the_audit_log_is_for_admins_and_shows_what_happened(client) -> None:
    log_in(client, "lan", "mật khẩu sai rồi")
    log_in(client, "admin")

    page = client.get("/staff/audit")

    assert page.status_code == 200
    assert "login.failed" in page.text and "login" in page.text


def test_logging_out_ends_the_session(client) -> None:
    log_in(client, "admin")
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    assert client.get("/staff/accounts", follow_redirects=False).status_code == 303


def test_after_log_in_only_a_staff_path_is_followed() -> None:
    assert safe_next("/staff/petitions?status=new") == "/staff/petitions?status=new"
    for target in ("https://evil.example/", "//evil.example", "/staff\\..\\x", None, "/api"):
        assert safe_next(target) == "/staff/"


def test_accounts_refuse_bad_names_roles_and_duplicates(site) -> None:
    with pytest.raises(AccountError):
        site.accounts.add("Lan Nguyễn", "Lan", "officer", PASSWORD)
    with pytest.raises(AccountError):
        site.accounts.add("hoa", "Hoa", "chief", PASSWORD)
    with pytest.raises(AccountError):
        site.accounts.add("LAN", "Lan again", "officer", PASSWORD)


def test_roles_are_named_in_vietnamese_on_the_pages(client, site) -> None:
    site.accounts.add("tuan.admin", "Lê Văn Tuấn", "admin", PASSWORD)
    log_in(client, "tuan.admin")
    page = client.get("/staff/accounts").text
    assert "(Quản trị viên)" in page  # who is logged in, in the header
    assert "<td>Cán bộ xử lý</td>" in page and "<td>officer</td>" not in page
