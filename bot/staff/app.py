"""The staff pages under /staff, mounted by `bot serve` beside the web chat.

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

from bot.broadcast.announcements import Announcements
from bot.broadcast.delivery import Broadcaster, broadcasting
from bot.broadcast.senders import channel_senders
from bot.channels.setup import Channels
from bot.citizen_messages import CitizenMessenger
from bot.dialogue import Dialogue
from bot.staff.account_pages import account_routes
from bot.staff.announcement_pages import announcement_routes
from bot.staff.notify import GroupPost, StaffNotifier
from bot.staff.petition_pages import petition_routes
from bot.staff.petitions import PetitionDesk
from bot.staff.report_pages import report_routes
from bot.staff.review_pages import review_routes
from bot.staff.security import SESSION_COOKIE, SESSION_HOURS, guarded, session_secret
from bot.staff.site import STATIC_DIR, StaffSite
from bot.working_days import default_calendar

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


def staff_for(dialogue: Dialogue, messenger: CitizenMessenger, channels: Channels) -> StaffSide:
    """The staff side over the dialogue's store and settings, as `bot serve` runs it: the
    pages, the staff group's notices and the sending of announcements."""
    settings, store = dialogue.settings, dialogue.store
    text = dialogue.knowledge.handkept.text
    site = StaffSite(store, settings)
    desk = PetitionDesk(store, dialogue.knowledge, messenger, default_calendar(),
                        clock=site.clock)
    topics = dialogue.topics
    news_topics = [(topic.id, topic.label["vi"]) for topic in topics.news]
    board = Announcements(store, requires_approval=settings.broadcast_requires_approval,
                          news_topics=[topic_id for topic_id, _ in news_topics])
    side = StaffSide(staff_mount(
        site, partial(petition_routes, desk=desk),
        partial(announcement_routes, board=board, news_topics=news_topics, text=text),
        report_routes, partial(review_routes, dialogue=dialogue)))
    if settings.staff_telegram_chat_id and channels.telegram is not None:
        telegram = channels.telegram

        async def post(message: GroupPost) -> bool:
            return await telegram.post_to_group(settings.staff_telegram_chat_id,
                                                message.text, message.button_label,
                                                message.button_url)

        notifier = StaffNotifier(store, settings, text, post)
        side.running.append(lambda: background(notifier.run()))
    senders = channel_senders(
        text, telegram_bot=channels.telegram.application.bot if channels.telegram else None,
        zalo_api=channels.zalo.api if channels.zalo else None)
    if senders:
        # Started after the channels (their clients carry the messages) and stopped before.
        broadcaster = Broadcaster(store, board, senders, settings)
        side.running.append(lambda: broadcasting(broadcaster))
    return side


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
