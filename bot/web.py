"""The web chat: its page, the script a portal embeds, and the JSON API behind them.

Run it with `python -m bot serve`, then open http://127.0.0.1:8080/ or ask the API:

    curl -s localhost:8080/api/chat -H 'Content-Type: application/json' \\
         -d '{"user": "demo-1", "text": "đăng ký tạm trú cần giấy tờ gì"}'

A provincial portal adds the floating chat button to its pages with one tag:

    <script src="https://HOST/embed.js" defer></script>

Routes:
    GET  /            the chat page (bot/static/chat.html)
    GET  /static/...  its stylesheet and script
    GET  /embed.js    the portal's floating button, opening the page in an iframe
    POST /api/chat    {"user": ID, "text": "..."} or {"user": ID, "button": "payload"}
                      -> {"replies": [{"text", "buttons": [{"label", "payload"}],
                                       "links": [{"label", "url"}]}]}
    GET  /healthz     {"status": "ok"}
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Settings
from bot.http_body import read_limited
from bot.messages import Incoming, Reply

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

STATIC_DIR = Path(__file__).parent / "static"
CHANNEL = "web"
# The hard cap; the dialogue answers text over its own limit (4000 characters) politely.
MAX_BODY_BYTES = 16 * 1024
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Any portal may frame the chat (the province's portals are many and change). There are no
# logins, so a framing page could at most lead a person to send a message as themselves.
# Narrow it with create_app(frame_ancestors="https://portal.example.gov.vn").
FRAME_ANCESTORS = "*"

log = logging.getLogger(__name__)


class Handles(Protocol):
    def handle(self, incoming: Incoming) -> list[Reply]: ...


class BadRequest(Exception):
    """A request the client can fix; its message is sent back as {"error": ...}."""


def build_dialogue(db_path: Path, settings: Settings | None = None) -> Dialogue:
    """The dialogue over the committed knowledge, keeping its state in the SQLite file.

    The settings come from the environment (bot.config) unless given; `db_path` wins over
    BOT_DB. Raises knowledge.handkept.KnowledgeError when the knowledge files are invalid
    (before the database is touched) and ValueError naming a malformed environment variable.
    """
    from bot.dialogue import Dialogue
    from bot.store import Store
    from knowledge.base import Knowledge

    settings = replace(settings or Settings.from_env(), db_path=Path(db_path))
    knowledge = Knowledge.load()
    # The knowledge is millions of objects that live as long as the process: kept out of the
    # garbage collector's full passes, which would otherwise stall answers for 100 ms and more.
    gc.collect()
    gc.freeze()
    # The officers' answers and links from the review pages, followed while the bot runs.
    return Dialogue(knowledge, Store(settings.db_path), settings,
                    overrides_path=settings.overrides_path)


def app_from_environment() -> Starlette:
    """The app for one worker process of `bot serve --workers N` (database from BOT_DB)."""
    settings = Settings.from_env()
    return served_app(build_dialogue(settings.db_path), settings)


def served_app(dialogue: Dialogue, settings: Settings) -> Starlette:
    """What `bot serve` serves: the web chat, the staff pages under /staff, and the chat apps
    the environment configures (bot/channels/setup.py)."""
    from bot.channels.setup import build_channels
    from bot.citizen_messages import CitizenMessenger
    from bot.staff.app import staff_for

    channels = build_channels(dialogue, settings)
    messenger = CitizenMessenger(dialogue.store, channels.senders)
    staff = staff_for(dialogue, messenger, channels)
    return create_app(dialogue, extra_routes=[*channels.routes, staff.mount],
                      running=[*channels.running, *staff.running],
                      pending_messages=messenger.pending_for_web)


def create_app(dialogue: Handles, *, static_dir: Path = STATIC_DIR,
               frame_ancestors: str = FRAME_ANCESTORS, threadpool: bool = False,
               extra_routes: Sequence[BaseRoute] = (),
               running: Sequence[Callable[[], AbstractAsyncContextManager]] = (),
               pending_messages: Callable[[str], list[Reply]] | None = None) -> Starlette:
    """The web chat over `dialogue` (anything with `.handle(Incoming) -> list[Reply]`).

    `threadpool=True` runs each turn in a worker thread instead of on the event loop.
    `pending_messages(user)` gives the messages the bot started to a web citizen (a
    petition's answer), served by GET /api/messages; by default those of the dialogue's store.
    """
    chat = ChatEndpoint(dialogue, threadpool=threadpool)
    if pending_messages is None and hasattr(dialogue, "store"):
        from bot.citizen_messages import CitizenMessenger

        pending_messages = CitizenMessenger(dialogue.store).pending_for_web
    routes = [
        Route("/", file_endpoint(static_dir / "chat.html", "text/html; charset=utf-8")),
        Route("/embed.js",
              file_endpoint(static_dir / "embed.js", "text/javascript; charset=utf-8")),
        Mount("/static", app=RevalidatedStaticFiles(directory=static_dir), name="static"),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/messages", messages_endpoint(pending_messages or (lambda user: []))),
        Route("/healthz", healthz),
        *extra_routes,
    ]
    app = Starlette(routes=routes, lifespan=_upkeep(dialogue, running))
    app.state.user_locks = chat.locks
    app.add_middleware(SecurityHeaders, frame_ancestors=frame_ancestors)
    return app


# How often old messages are purged while the server runs (and once at start).
PURGE_EVERY_SECONDS = 6 * 3600


def _upkeep(dialogue: Handles,
            running: Sequence[Callable[[], AbstractAsyncContextManager]] = ()):
    """A lifespan that runs the chat apps (Telegram, Zalo) while the server runs, and purges
    messages past their retention period, if the dialogue can."""
    purge = getattr(dialogue, "purge_expired", None)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as channels:
            for start in running:
                await channels.enter_async_context(start())
            async with _purging(purge):
                yield

    return lifespan


def _purging(purge):
    @asynccontextmanager
    async def purging() -> AsyncIterator[None]:
        async def every_so_often() -> None:
            while True:
                removed = purge()
                if removed:
                    log.info("purged %d messages past their retention period", removed)
                await asyncio.sleep(PURGE_EVERY_SECONDS)

        task = asyncio.create_task(every_so_often()) if purge else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()

    return purging()


def file_endpoint(path: Path, media_type: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})
    return endpoint


class RevalidatedStaticFiles(StaticFiles):
    """Files that browsers check again on each use (cheap with the ETag), so that after an
    upgrade the new page never runs yesterday's script."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("cache-control", "no-cache")
        return response


def messages_endpoint(pending: Callable[[str], list[Reply]]):
    """GET /api/messages?user=ID: what the bot has said to this web citizen on its own since
    the page last asked (e.g. the agency's answer to their petition), each message once.

    The user id is the random one the page made for itself (128 bits), so it is also what
    lets only that page read its messages.
    """
    async def endpoint(request: Request) -> Response:
        user = request.query_params.get("user", "")
        if not USER_ID.fullmatch(user):
            return JSONResponse({"error": '"user" must be 1 to 64 letters A-Z or a-z, digits, '
                                          '"_" or "-"'}, status_code=400)
        replies = pending(user)
        return JSONResponse({"replies": [reply.to_dict() for reply in replies]},
                            headers={"Cache-Control": "no-store"})

    return endpoint


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class ChatEndpoint:
    """POST /api/chat: one message or button press in, the bot's replies out."""

    def __init__(self, dialogue: Handles, *, threadpool: bool = False) -> None:
        self.dialogue = dialogue
        self.threadpool = threadpool
        self.locks = UserLocks()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            incoming = parse_incoming(await read_body(request))
        except BadRequest as error:
            response = JSONResponse({"error": str(error)}, status_code=400)
        else:
            response = await self.answer(incoming)
        await response(scope, receive, send)

    async def answer(self, incoming: Incoming) -> Response:
        async with self.locks.hold(incoming.user):
            try:
                # On the event loop by default: a turn is milliseconds of CPU plus SQLite writes
                # in WAL mode, and with 40 users sending unique questions on 2 cores, direct
                # calls answered 100-123 chats/s (p95 ~450 ms) against 72-78/s (p95 ~1 s) in
                # the threadpool, whose threads mostly contend for the GIL. The threadpool only
                # kept /healthz fast when saturated (13 ms against ~400 ms). Measure again if
                # turns start waiting on slow I/O, and pass threadpool=True if it then wins.
                if self.threadpool:
                    replies = await run_in_threadpool(self.dialogue.handle, incoming)
                else:
                    replies = self.dialogue.handle(incoming)
            except Exception:
                log.exception("the dialogue failed on a web message from %s", incoming.user)
                return JSONResponse({"error": "the bot could not answer; please try again"},
                                    status_code=500)
        return JSONResponse({"replies": [reply.to_dict() for reply in replies]},
                            headers={"Cache-Control": "no-store"})


async def read_body(request: Request) -> bytes:
    """The request body, refusing more than MAX_BODY_BYTES without reading it all."""
    body = await read_limited(request, MAX_BODY_BYTES)
    if body is None:
        raise BadRequest(f"the body must be at most {MAX_BODY_BYTES} bytes")
    return body


def parse_incoming(body: bytes) -> Incoming:
    """The web message in a request body, or BadRequest saying what to fix."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise BadRequest('the body must be a JSON object such as {"user": "...", "text": "..."}'
                         ) from error
    if not isinstance(data, dict):
        raise BadRequest('the body must be a JSON object such as {"user": "...", "text": "..."}')
    user = data.get("user")
    if not isinstance(user, str) or not USER_ID.fullmatch(user):
        raise BadRequest('"user" must be a string of 1 to 64 letters A-Z or a-z, digits, '
                         '"_" or "-"')
    text, button = data.get("text"), data.get("button")
    if (text is None) == (button is None):
        raise BadRequest('give exactly one of "text" and "button"')
    if text is not None:
        if not isinstance(text, str):
            raise BadRequest('"text" must be a string')
        return Incoming(CHANNEL, user, text=unicode_text("text", text))
    if not isinstance(button, str):
        raise BadRequest('"button" must be a string (the payload of the pressed button)')
    return Incoming(CHANNEL, user, button=unicode_text("button", button))


def unicode_text(field: str, value: str) -> str:
    """`value` if it is text that can be stored and sent back; JSON escapes can smuggle in
    lone surrogates ("\\ud800"), which no UTF-8 database or response can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BadRequest(f'"{field}" is not valid Unicode text (it has a lone surrogate)'
                         ) from error
    return value


class UserLocks:
    """One asyncio.Lock per user, dropped as soon as nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, user: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._users[user] = self._users.get(user, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[user] -= 1
            if not self._users[user]:
                del self._users[user], self._locks[user]


class SecurityHeaders:
    """Adds the security headers to every response: scripts, styles and calls only from here."""

    def __init__(self, app: ASGIApp, frame_ancestors: str = FRAME_ANCESTORS) -> None:
        self.app = app
        policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                  f"frame-ancestors {frame_ancestors}")
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
