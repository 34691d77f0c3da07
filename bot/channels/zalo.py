"""The Zalo Official Account channel: Zalo's webhook in, consultation messages out.

How `bot serve` wires it (one asyncio process, beside the web chat):

    channel = ZaloChannel(dialogue, settings)          # settings.zalo_* from ZALO_* variables
    routes = [*web_routes, *zalo_routes(channel)]      # POST /webhooks/zalo
    # in the app's lifespan:
    await channel.start()     # ZaloSetupError names a missing ZALO_* variable
    ...
    await channel.stop()      # waits for the replies still being sent

What happens to an event Zalo posts:
1. The signature is checked: X-ZEvent-Signature is "mac=" + sha256(app id + raw body + the
   event's `timestamp` + OA secret key), a plain digest, not an HMAC. A forged or unsigned
   event, or one older than 5 minutes or more than 1 minute ahead, gets 401.
2. The event is claimed in the database (webhook_events): Zalo delivers at least once, and a
   repeat, even to another worker or after a restart, is answered 200 and not processed again.
3. Zalo is answered 200 at once (it wants an answer within 2 seconds) and the work goes on in a
   background task: the dialogue's turn, then the replies sent one message at a time, per user
   in the order the events came.

Texts become Incoming(text=...), or a button press when the text is just the number of a
choice offered last (see zalo_render); images and files become attachments the petition form
keeps; other kinds (stickers, voice, location...) get a polite "I read text" reply. `follow`
gets the greeting and the main menu; `unfollow` marks the citizen unreachable.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import mimetypes
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.zalo_api import (
    TIMEOUT_SECONDS,
    TOKEN_ERRORS,
    UNREACHABLE_ERRORS,
    SendResult,
    ZaloApi,
    ZaloSetupError,
)
from bot.channels.zalo_render import channel_turn
from bot.config import Settings
from bot.http_body import read_limited
from bot.messages import Incoming, Reply
from bot.user_locks import UserLocks

if TYPE_CHECKING:
    from bot.dialogue import Dialogue

__all__ = ["CHANNEL", "WEBHOOK_PATH", "ZaloChannel", "ZaloSetupError", "event_signature",
           "zalo_routes"]

log = logging.getLogger(__name__)

CHANNEL = "zalo"
WEBHOOK_PATH = "/webhooks/zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
# Zalo's events are a few hundred bytes; a body past this is not from Zalo.
MAX_WEBHOOK_BYTES = 64 * 1024
MAX_EVENT_AGE = timedelta(minutes=5)
MAX_EVENT_AHEAD = timedelta(minutes=1)
# Claimed event keys are only needed while a repeat could still pass the age check.
KEEP_EVENT_KEYS = timedelta(days=2)
PURGE_EVERY_EVENTS = 1000
# Events handled at once. Zalo may post faster than replies can go out; past this many the
# rest wait their turn, instead of all queueing for the HTTP connection pool at once (where
# they would time out) and all holding their dialogue turn in memory.
EVENTS_AT_ONCE = 16
USER_ID_MAX_CHARS = 64
# "2", " 2 ", "2." or "2)": the number of a choice; longer numbers (phone numbers, codes) are
# text.
_CHOICE_RE = re.compile(r"\s*(\d{1,3})\s*[.)]?\s*")
ATTACHMENT_EVENTS = frozenset({"user_send_image", "user_send_file"})


def event_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The X-ZEvent-Signature Zalo sends with `body`: "mac=" + sha256 hex of the four parts."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode())
    return f"mac={digest.hexdigest()}"


class ZaloChannel:
    """Zalo OA webhook events to the dialogue, and its replies back to the citizen."""

    def __init__(self, dialogue: Dialogue, settings: Settings, *,
                 client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.dialogue = dialogue
        self.store = dialogue.store
        self.settings = settings
        self.clock = clock
        self._owns_client = client is None
        # As many connections as events handled at once: httpx spends more CPU per request
        # the more requests share its pool (benchmarks/zalo_bench.py).
        self.client = client or httpx.AsyncClient(
            timeout=TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=EVENTS_AT_ONCE,
                                max_keepalive_connections=EVENTS_AT_ONCE))
        self.api = ZaloApi(self.store, settings, self.client, clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._user_locks = UserLocks()
        self._working = asyncio.Semaphore(EVENTS_AT_ONCE)
        self._running = False
        self._claimed = 0

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Checks the configuration and loads the token pair; ZaloSetupError names what is
        missing."""
        for name, value in (("ZALO_APP_ID", self.settings.zalo_app_id),
                            ("ZALO_OA_SECRET_KEY", self.settings.zalo_oa_secret_key)):
            if not value:
                raise ZaloSetupError(f"{name} is not set: the Zalo channel needs it to check "
                                     "the signature of Zalo's webhook events")
        self.api.load_tokens()
        if not self.settings.zalo_app_secret or not self.api.has_refresh_token:
            log.warning("ZALO_APP_SECRET or ZALO_OA_REFRESH_TOKEN is not set: when the OA "
                        "access token expires (after about 25 hours) Zalo replies will fail")
        self.store.purge_webhook_events(KEEP_EVENT_KEYS, now=self._now())
        self._running = True

    async def stop(self) -> None:
        """Takes no more events and waits for the replies still being sent."""
        self._running = False
        await self.drain()
        if self._owns_client:
            await self.client.aclose()

    async def drain(self) -> None:
        """Waits until every event taken so far has been handled and its replies sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- the webhook ----------------------------------------------------------------------

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes
                             ) -> tuple[int, dict[str, str]]:
        """The HTTP status and JSON answer for one event Zalo posted; the work goes on in the
        background after this returns."""
        if not self._running:
            return 503, {"error": "the Zalo channel is not running"}
        try:
            event = json.loads(body)
        except (ValueError, RecursionError):
            return 400, {"error": "the body is not JSON"}
        if not isinstance(event, dict):
            return 400, {"error": "the body is not a JSON object"}
        timestamp = _timestamp(event)
        if timestamp is None:
            return 400, {"error": "the event has no timestamp"}
        if not self._signed(headers, body, timestamp):
            return 401, {"error": f"missing or wrong {SIGNATURE_HEADER}"}
        if not self._fresh(int(timestamp)):
            return 401, {"error": "the event is too old or dated in the future"}
        kind = event.get("event_name")
        user = _user_of(event)
        if not _handled(kind) or user is None:
            log.debug("Zalo event %r ignored", kind)
            return 200, {"status": "ignored"}
        if not self.store.claim_webhook_event(CHANNEL, _event_key(event, body), now=self._now()):
            return 200, {"status": "duplicate"}
        self._forget_old_events()
        self._spawn(self._process(kind, user, event))
        return 200, {"status": "accepted"}

    def _signed(self, headers: Mapping[str, str], body: bytes, timestamp: str) -> bool:
        given = _header(headers, SIGNATURE_HEADER)
        app_id, secret = self.settings.zalo_app_id, self.settings.zalo_oa_secret_key
        if not given or not app_id or not secret:
            return False
        expected = event_signature(app_id, body, timestamp, secret)
        return hmac.compare_digest(expected.encode(),
                                   given.strip().lower().encode("utf-8", "replace"))

    def _fresh(self, timestamp_ms: int) -> bool:
        age_ms = self.clock() * 1000 - timestamp_ms
        return (-MAX_EVENT_AHEAD.total_seconds() * 1000 <= age_ms
                <= MAX_EVENT_AGE.total_seconds() * 1000)

    def _forget_old_events(self) -> None:
        self._claimed += 1
        if self._claimed % PURGE_EVERY_EVENTS == 0:
            self.store.purge_webhook_events(KEEP_EVENT_KEYS, now=self._now())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the work -------------------------------------------------------------------------

    async def _process(self, kind: str, user: str, event: dict) -> None:
        # Held from the turn to the last message sent: one user's events are answered one at
        # a time, in the order they came (asyncio.Lock wakes its waiters first come first).
        async with self._user_locks.hold(user), self._working:
            try:
                if kind == "unfollow":
                    self.store.mark_unreachable(CHANNEL, user)
                    return
                await self.send_replies(user, self._replies(kind, user, event))
            except Exception:
                log.exception("the Zalo event %s from %s could not be handled", kind, user)

    def _replies(self, kind: str, user: str, event: dict) -> list[Reply]:
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        text = message.get("text") if isinstance(message.get("text"), str) else None
        if kind == "follow":
            greeting = Reply(self._t("greeting"))
            return [greeting, *self.dialogue.handle(Incoming(CHANNEL, user, button="menu"))]
        if kind == "user_send_text":
            return self.dialogue.handle(self._text_or_choice(user, text or ""))
        attachments = _attachments(message) if kind in ATTACHMENT_EVENTS else []
        if attachments:
            return self.dialogue.handle(Incoming(CHANNEL, user, text=text or None,
                                                 extras={"attachments": attachments}))
        # Stickers, GIFs, voice, video, locations, links, business cards: nothing to read.
        self.store.touch_user(CHANNEL, user, now=self._now())
        return [Reply(self._t("zalo.unsupported"))]

    def _text_or_choice(self, user: str, text: str) -> Incoming:
        match = _CHOICE_RE.fullmatch(text)
        if match:
            payload = self.store.zalo_choice(user, int(match.group(1)))
            if payload is not None:
                return Incoming(CHANNEL, user, button=payload)
        return Incoming(CHANNEL, user, text=text)

    async def send_replies(self, user: str, replies: list[Reply]) -> bool:
        """Sends the replies as Zalo messages (buttons as numbered choices, remembered for the
        user's next message); True when every message was delivered.

        A message Zalo refuses is recorded in the store's failed deliveries for staff. When the
        citizen cannot be reached (outside the interaction window, token unusable, no answer),
        the rest of the turn is recorded too, without trying to send it.
        """
        turn = channel_turn(replies, self._t)
        self.store.replace_zalo_choices(user, turn.choices, now=self._now())
        delivered = True
        for index, text in enumerate(turn.messages):
            result = await self.api.send_text(user, text)
            if result.ok:
                continue
            delivered = False
            if _ends_the_turn(result):
                self._undelivered(user, turn.messages[index:], result)
                break
            self._undelivered(user, [text], result)
        return delivered

    def _undelivered(self, user: str, texts: list[str], result: SendResult) -> None:
        log.warning("Zalo did not deliver %d message(s) to %s: error %s (%s): %s", len(texts),
                    user, result.error_code, result.meaning, result.error_message)
        now = self._now()
        for text in texts:
            self.store.record_failed_delivery(CHANNEL, user, text, result.error_code,
                                              f"{result.meaning}: {result.error_message}",
                                              now=now)
        if result.error_code in UNREACHABLE_ERRORS:
            self.store.mark_unreachable(CHANNEL, user)

    def _t(self, key: str) -> str:
        return self.dialogue.knowledge.handkept.text(key)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def zalo_routes(channel: ZaloChannel) -> list[Route]:
    """POST /webhooks/zalo: the raw body to `channel.handle_webhook`, its answer as JSON."""

    async def webhook(request: Request) -> Response:
        body = await read_limited(request, MAX_WEBHOOK_BYTES)
        if body is None:
            return JSONResponse({"error": f"the body must be at most {MAX_WEBHOOK_BYTES} bytes"},
                                status_code=413)
        status, answer = await channel.handle_webhook(request.headers, body)
        return JSONResponse(answer, status_code=status)

    return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]


# --- reading events -----------------------------------------------------------------------

def _handled(kind: object) -> bool:
    return isinstance(kind, str) and (kind in ("follow", "unfollow")
                                      or kind.startswith("user_send_"))


def _ends_the_turn(result: SendResult) -> bool:
    code = result.error_code
    return code is None or code in UNREACHABLE_ERRORS or code in TOKEN_ERRORS


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _timestamp(event: dict) -> str | None:
    """The event's `timestamp` (milliseconds) as the string Zalo signed, or None."""
    raw = event.get("timestamp")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 16:
        return raw
    return None


def _user_of(event: dict) -> str | None:
    """The citizen: `follower` in follow events, `sender` in what a user sends."""
    for role in ("follower", "sender"):
        who = event.get(role)
        user = who.get("id") if isinstance(who, dict) else None
        if isinstance(user, int) and not isinstance(user, bool):
            user = str(user)
        if isinstance(user, str) and 0 < len(user) <= USER_ID_MAX_CHARS:
            return user
    return None


def _event_key(event: dict, body: bytes) -> str:
    """What makes a delivery the same event: its message id, else its exact body."""
    message = event.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    if isinstance(msg_id, str) and msg_id:
        return f"{event.get('event_name')}:{msg_id}"
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


def _attachments(message: dict) -> list[dict]:
    """Zalo's image and file attachments as the petition form keeps them:
    {"name", "mime", "size" (bytes, or None when Zalo does not say), "ref" (Zalo's URL)}."""
    items = []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("payload"), dict):
            continue
        kind, payload = attachment.get("type"), attachment["payload"]
        url = payload.get("url") or payload.get("thumbnail")
        if not isinstance(url, str) or not url:
            continue
        name = payload.get("name") if isinstance(payload.get("name"), str) else None
        name = name or _name_in_url(url) or ("image.jpg" if kind == "image" else "file")
        items.append({"name": name, "mime": _mime(kind, payload, name),
                      "size": _size(payload.get("size")), "ref": url})
    return items


def _name_in_url(url: str) -> str | None:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or None


def _mime(kind: object, payload: dict, name: str) -> str:
    # A file's payload names its type by extension ("pdf", "docx").
    extension = payload.get("type")
    if isinstance(extension, str) and extension:
        guessed = mimetypes.types_map.get(f".{extension.lower().lstrip('.')}")
        if guessed:
            return guessed
    guessed, _ = mimetypes.guess_type(name)
    if guessed:
        return guessed
    # An image whose URL says nothing is taken to be a JPEG, the form Zalo's photo CDN serves
    # (an assumption: Zalo documents no MIME type for image attachments).
    return "image/jpeg" if kind == "image" else "application/octet-stream"


def _size(raw: object) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None
