"""Log-in and log-out, and the admin's pages: accounts and the audit log.

    GET/POST /staff/login      POST /staff/logout
    GET /staff/accounts        POST /staff/accounts/{username}/{unlock|disable|enable}
    GET /staff/audit
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.staff.accounts import AccountError
from bot.staff.security import csrf_ok, log_in, log_out, safe_next
from bot.staff.site import StaffSite, client_address
from bot.vocabulary import VIETNAM

AUDIT_PAGE_SIZE = 100
LOGIN_MESSAGES = {
    "wrong": "Tên đăng nhập hoặc mật khẩu không đúng.",
    "locked": "Tài khoản tạm khóa do nhập sai nhiều lần. Vui lòng thử lại sau {until} hoặc "
              "liên hệ quản trị viên.",
    "too_many": "Có quá nhiều lần đăng nhập sai từ máy này. Vui lòng thử lại sau {until}.",
}


def account_routes(site: StaffSite, guarded) -> list[Route]:
    async def login_page(request: Request) -> Response:
        if request.method == "GET":
            if site.current(request) is not None:
                return RedirectResponse(safe_next(request.query_params.get("next")), 303)
            return site.render(request, "login.html", next=request.query_params.get("next"))
        form = await request.form()
        # The log-in form has a CSRF token too (from the cookie the log-in page set), so that
        # another site cannot log a browser in under an account of its choosing.
        if not await csrf_ok(request):
            return site.refuse(request, 403, "csrf")
        username = str(form.get("username", ""))
        result = site.accounts.authenticate(username, str(form.get("password", "")),
                                            address=client_address(request))
        if result.delay:
            await asyncio.sleep(result.delay)
        if result.account is None:
            site.audit.record(username.strip().lower() or None, "login.failed",
                              details={"reason": result.reason},
                              address=client_address(request))
            until = result.retry_at.astimezone(VIETNAM).strftime("%H:%M") \
                if result.retry_at else ""
            return site.render(request, "login.html", status_code=401,
                               error=LOGIN_MESSAGES[result.reason].format(until=until),
                               username=username, next=form.get("next"))
        log_in(request, result.account)
        site.audit.record(result.account.username, "login", address=client_address(request))
        return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)

    async def logout(request: Request) -> Response:
        site.record(request, "logout")
        log_out(request)
        return RedirectResponse("/staff/login", status_code=303)

    async def accounts_page(request: Request) -> Response:
        return site.render(request, "accounts.html", accounts=site.accounts.all(),
                           now=site.clock())

    async def account_action(request: Request) -> Response:
        username = request.path_params["username"]
        action = request.path_params["action"]
        change = {"unlock": lambda: site.accounts.unlock(username),
                  "disable": lambda: site.accounts.set_active(username, False),
                  "enable": lambda: site.accounts.set_active(username, True)}.get(action)
        if change is None:
            return site.refuse(request, 404, "not_found")
        if action == "disable" and username == request.state.staff.username:
            return site.render(request, "accounts.html", status_code=400,
                               accounts=site.accounts.all(), now=site.clock(),
                               error="Bạn không thể tự khóa tài khoản của mình.")
        try:
            change()
        except AccountError as error:
            return site.render(request, "accounts.html", status_code=400,
                               accounts=site.accounts.all(), now=site.clock(), error=str(error))
        site.record(request, f"account.{action}", target=username)
        return RedirectResponse("/staff/accounts", status_code=303)

    async def audit_page(request: Request) -> Response:
        page = _page_number(request)
        entries = site.audit.recent(limit=AUDIT_PAGE_SIZE + 1,
                                    offset=(page - 1) * AUDIT_PAGE_SIZE,
                                    staff=request.query_params.get("staff") or None,
                                    action=request.query_params.get("action") or None)
        return site.render(request, "audit.html", entries=entries[:AUDIT_PAGE_SIZE], page=page,
                           has_next=len(entries) > AUDIT_PAGE_SIZE,
                           staff_filter=request.query_params.get("staff", ""),
                           action_filter=request.query_params.get("action", ""))

    return [
        Route("/staff/login", login_page, methods=["GET", "POST"]),
        Route("/staff/logout", guarded(logout, role="viewer"), methods=["POST"]),
        Route("/staff/accounts", guarded(accounts_page, role="admin")),
        Route("/staff/accounts/{username}/{action}", guarded(account_action, role="admin"),
              methods=["POST"]),
        Route("/staff/audit", guarded(audit_page, role="admin")),
    ]


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1
