"""Who is logged in, what they may do, and the CSRF check on every form.

The session lives in a signed, HTTP-only cookie (Starlette's SessionMiddleware, signed with
itsdangerous) holding the username, the account's `session_epoch` and a CSRF token. An admin
disabling an account or a password change bumps the epoch, which ends every session of it at
once. Every POST must carry the session's CSRF token in a `csrf_token` field (the templates'
`csrf_field()`), and when the browser sends an Origin header it must be this site.

Example, in bot/staff/app.py:
    Route("/staff/petitions/{code}/status", guarded(change_status, role="officer"),
          methods=["POST"])
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.staff.accounts import StaffAccount
from bot.storage import Store

SESSION_COOKIE = "staff_session"
SESSION_HOURS = 10  # a working day
CSRF_FIELD = "csrf_token"
SECRET_NAME = "staff_session_key"

Endpoint = Callable[[Request], Awaitable[Response]]


def session_secret(store: Store, configured: str | None) -> str:
    """The key that signs session cookies: STAFF_SECRET_KEY, else one made once and kept in
    the database, so that every worker and every restart signs alike."""
    if configured:
        return configured
    return store.app_secret(SECRET_NAME, secrets.token_urlsafe(48), datetime.now(UTC))


def log_in(request: Request, account: StaffAccount) -> None:
    # A new CSRF token with every log-in: nothing from before it stays valid.
    request.session.clear()
    request.session.update({"staff": account.username, "epoch": account.session_epoch,
                            "csrf": secrets.token_urlsafe(32)})


def log_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def csrf_ok(request: Request) -> bool:
    expected = request.session.get("csrf")
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(
            given.encode(), expected.encode()):
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc == request.headers.get("host", "")
    return True


def guarded(handler: Endpoint, *, role: str, current: Callable[[Request], StaffAccount | None],
            refuse: Callable[[Request, int, str], Response]) -> Endpoint:
    """`handler` for logged-in staff with `role` or higher; POSTs must pass the CSRF check.

    Not logged in: a GET goes to the log-in page (and back afterwards), anything else is 401.
    The account is in `request.state.staff` for the handler.
    """
    async def endpoint(request: Request) -> Response:
        account = current(request)
        if account is None:
            if request.method == "GET":
                back = quote(request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else ""))
                return RedirectResponse(f"/staff/login?next={back}", status_code=303)
            return refuse(request, 401, "not_logged_in")
        if request.method == "POST" and not await csrf_ok(request):
            return refuse(request, 403, "csrf")
        if not account.can(role):
            return refuse(request, 403, "role")
        request.state.staff = account
        return await handler(request)

    return endpoint


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path under /staff, never another site."""
    if target and target.startswith("/staff") and not target.startswith("//") and \
            "\\" not in target:
        return target
    return "/staff/"
