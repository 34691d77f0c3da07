"""The web chat: its page, the script a portal embeds, and the JSON API behind them.

`bot.server` mounts these routes beside the other channels and the staff pages. Run it with
`python -m bot serve`, then open http://127.0.0.1:8080/ or ask the API:

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

import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.http_body import read_limited
from bot.messages import Incoming, Reply
from bot.user_locks import UserLocks

STATIC_DIR = Path(__file__).parent.parent / "static"
CHANNEL = "web"
# The hard cap; the dialogue answers text over its own limit (4000 characters) politely.
MAX_BODY_BYTES = 16 * 1024
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Any portal may frame the chat (the province's portals are many and change). There are no
# logins, so a framing page could at most lead a person to send a message as themselves.
# Narrow it with bot.server.create_app(frame_ancestors="https://portal.example.gov.vn").
FRAME_ANCESTORS = "*"

log = logging.getLogger(__name__)


class Handles(Protocol):
    def handle(self, incoming: Incoming) -> list[Reply]: ...


class BadRequest(Exception):
    """A request the client can fix; its message is sent back as {"error": ...}."""


def web_routes(dialogue: Handles, pending_messages: Callable[[str], list[Reply]], *,
               static_dir: Path = STATIC_DIR, threadpool: bool = False,
               ) -> tuple[list[BaseRoute], ChatEndpoint]:
    """The web chat's routes over `dialogue` (anything with `.handle(Incoming) -> list[Reply]`),
    and its chat endpoint (whose `.locks` hold each user's turn).

    `threadpool=True` runs each turn in a worker thread instead of on the event loop.
    `pending_messages(user)` gives the messages the bot started to a web citizen (a
    petition's answer), served by GET /api/messages.
    """
    chat = ChatEndpoint(dialogue, threadpool=threadpool)
    routes: list[BaseRoute] = [
        Route("/", file_endpoint(static_dir / "chat.html", "text/html; charset=utf-8")),
        Route("/embed.js",
              file_endpoint(static_dir / "embed.js", "text/javascript; charset=utf-8")),
        Mount("/static", app=RevalidatedStaticFiles(directory=static_dir), name="static"),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/messages", messages_endpoint(pending_messages)),
        Route("/healthz", healthz),
    ]
    return routes, chat


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
