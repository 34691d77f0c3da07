"""What every staff page needs: the store, the accounts, the audit log, the templates.

Example:
    site = StaffSite(store, settings)
    site.render(request, "audit.html", entries=site.audit.recent())

Templates (bot/staff/templates) are Jinja2 with autoescaping on: whatever a citizen wrote is
shown as text, never as markup. Each template extends base.html and gets `staff` (the account
logged in, or None), `csrf_field()` for its forms, and `t(...)`-free Vietnamese: the staff
pages are written in Vietnamese for Vietnamese officers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.config import Settings
from bot.staff.accounts import Accounts, StaffAccount
from bot.staff.audit import AuditLog
from bot.staff.security import CSRF_FIELD, csrf_token
from bot.storage import Store
from bot.vocabulary import STAFF_ROLES, VIETNAM

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

REFUSALS = {
    "not_logged_in": "Bạn cần đăng nhập lại.",
    "csrf": "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và "
            "thử lại.",
    "role": "Tài khoản của Bạn không có quyền thực hiện việc này.",
    "not_found": "Không tìm thấy trang này.",
}


class StaffSite:
    def __init__(self, store: Store, settings: Settings, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 login_delay_base: float | None = None) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.accounts = Accounts(store, clock) if login_delay_base is None else Accounts(
            store, clock, delay_base=login_delay_base)
        self.audit = AuditLog(store, clock)
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                                     autoescape=select_autoescape(default=True),
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.filters.update(local_time=local_time, vn_date=vn_date,
                                      role_label=STAFF_ROLES.label)

    def current(self, request: Request) -> StaffAccount | None:
        """The account logged in on this request, if its session is still valid."""
        username = request.session.get("staff")
        if not username:
            return None
        account = self.accounts.get(username)
        if account is None or not account.active or \
                account.session_epoch != request.session.get("epoch"):
            return None
        return account

    def render(self, request: Request, template: str, status_code: int = 200,
               **values: Any) -> HTMLResponse:
        staff = getattr(request.state, "staff", None) or self.current(request)
        html = self.templates.get_template(template).render(
            request=request, staff=staff, csrf_field=lambda: _csrf_field(request), **values)
        return HTMLResponse(html, status_code=status_code,
                            headers={"Cache-Control": "no-store"})

    def refuse(self, request: Request, status: int, reason: str) -> Response:
        return self.render(request, "refused.html", status_code=status,
                           message=REFUSALS.get(reason, REFUSALS["role"]))

    def record(self, request: Request, action: str, *, target: str | None = None,
               details: dict[str, Any] | None = None) -> None:
        """An audit-log entry for what the logged-in staff member just did."""
        staff = getattr(request.state, "staff", None)
        self.audit.record(staff.username if staff else None, action, target=target,
                          details=details, address=client_address(request))


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _csrf_field(request: Request) -> Markup:
    token = csrf_token(request)
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def local_time(value: datetime | None) -> str:
    """A stored UTC time as Vietnamese officers read it: 25/11/2026 14:05."""
    if value is None:
        return ""
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vn_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""
