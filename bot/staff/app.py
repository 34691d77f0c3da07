"""The staff pages under /staff, mounted by `bot serve` beside the web chat (bot/server.py
builds the site, the petition desk and the announcement board and hands them in).

Example:
    app = Starlette(routes=[*chat_routes, staff_mount(StaffSite(store, settings))])

Every route except the log-in page goes through `guarded` (bot/staff/security.py) with the
least role it needs. The session cookie is scoped to /staff, signed with STAFF_SECRET_KEY (or
a key the bot makes once and keeps in its database), HTTP-only, SameSite=Lax, and Secure when
STAFF_COOKIE_SECURE is set (behind HTTPS, as in production).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.staff.account_pages import account_routes
from bot.staff.security import SESSION_COOKIE, SESSION_HOURS, guarded, session_secret
from bot.staff.site import STATIC_DIR, StaffSite

# A page module's routes, given the site and `guard(handler, role=...)`.
RouteMaker = Callable[[StaffSite, Callable[..., Any]], list[BaseRoute]]


def staff_mount(site: StaffSite, *extra: RouteMaker) -> Mount:
    """Everything under /staff, with its session cookie. `extra` add more pages: each is
    called with (site, guard) and returns routes (petitions, review, reports...)."""
    guard = partial(guarded, current=site.current, refuse=site.refuse)

    async def home(request: Request) -> Response:
        return RedirectResponse("/staff/petitions", status_code=303)

    routes: list[BaseRoute] = [
        Route("/", guard(home, role="viewer")),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="staff-static"),
    ]
    for make in (account_routes, *extra):
        routes += [_relative(route) for route in make(site, guard)]
    secret = session_secret(site.store, site.settings.staff_secret_key)
    return Mount("/staff", routes=routes, middleware=[Middleware(
        SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600, path="/staff", same_site="lax",
        https_only=site.settings.staff_cookie_secure)])


def _relative(route: BaseRoute) -> BaseRoute:
    """Page modules name their full paths (/staff/...), which reads better; under the Mount
    they are relative."""
    if isinstance(route, Route) and route.path.startswith("/staff/"):
        return Route(route.path[len("/staff"):], route.endpoint, methods=route.methods,
                     name=route.name)
    return route


@dataclass
class StaffSide:
    """The staff pages to mount, and what runs beside them while the server runs."""

    mount: Mount
    running: list[Callable[[], AbstractAsyncContextManager]] = field(default_factory=list)


@asynccontextmanager
async def background(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Runs `work` as a task while the block runs; cancelled at its end."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
