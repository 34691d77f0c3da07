"""A fake Telegram Bot API on 127.0.0.1, for tests and benchmarks: Telegram is never reached.

In a test, served from a background thread:

    with FakeTelegram().serving() as fake:
        settings = replace(settings, telegram_bot_token=fake.token,
                           telegram_api_base_url=fake.base_url)
        fake.queue(fake.text_update(42, "xin chào"))      # served to getUpdates
        fake.fail_next("sendMessage", 429, retry_after=1) # the next sendMessage is refused
        fake.block(42)                                     # chat 42 blocked the bot: 403
        await fake.wait_for_text(42, "Xin chào")
        fake.calls_to("setMyCommands")                     # every call, with its parameters

As a process (the benchmark runs it so, to keep its CPU apart from the bot's):

    python -m tests.channels.fake_telegram --port 8081 [--token 123:ABC]

with a small control API: GET /_fake/health, GET /_fake/stats ({"calls", "sent", "failed"}),
GET /_fake/sent (the messages and photos sent, as [{"chat_id", "text", "at"}], a photo's text
being its caption, `at` the time.time() it was taken), GET /_fake/calls?method=NAME,
POST /_fake/reset, and for faults: POST /_fake/fail {"method", "error_code", "count",
"retry_after", "chat_id"} (as fail_next) and POST /_fake/block {"chat_ids": [...]}.

It answers POST (or GET) /bot<token>/<method> with JSON, form-encoded or multipart bodies, as
the real Bot API does, in its JSON shapes: {"ok": true, "result": ...} or {"ok": false,
"error_code": ..., "description": ...}. Methods: getMe, getUpdates (queued updates, honouring
offset, and waiting up to `timeout` but at most `max_poll_wait` seconds), sendMessage,
sendPhoto (a photo URL, caption up to 1024 characters), answerCallbackQuery, editMessageText,
editMessageReplyMarkup, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands,
getMyCommands, sendChatAction, getFile, close, logOut. Like
Telegram it refuses a message over 4096 characters, callback_data over 64 bytes, and
getUpdates while a webhook is set.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Trợ lý thủ tục",
            "username": "thutuc_test_bot", "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False}
# Parameters whose form-encoded value is text, not JSON (everything else is JSON-decoded).
TEXT_PARAMETERS = frozenset({"text", "caption", "secret_token", "url", "callback_query_id",
                             "inline_message_id", "file_id", "description", "short_description",
                             "name", "parse_mode", "language_code"})
# What /_fake/sent and /_fake/stats count as a message sent.
SENDING_METHODS = frozenset({"sendmessage", "sendphoto"})
ERROR_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    502: "Bad Gateway",
}


class ApiError(Exception):
    def __init__(self, error_code: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code,
                                "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return JSONResponse(body, status_code=self.error_code)


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    at: float = field(default_factory=time.time)


@dataclass
class Fault:
    method: str
    error: ApiError
    chat_id: int | None = None
    remaining: int | None = None  # None: every matching call

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method.lower() != method.lower():
            return False
        return self.chat_id is None or _int_or_none(params.get("chat_id")) == self.chat_id


@dataclass
class _State:
    calls: list[ApiCall] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)


class FakeTelegram:
    def __init__(self, token: str = TOKEN, *, max_poll_wait: float = 0.5) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.base_url = ""  # set once serving
        self._lock = threading.Lock()
        self._state = _State()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getme": lambda params: BOT_USER,
            "getupdates": lambda params: [],  # answered by _get_updates, which may wait
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "answercallbackquery": lambda params: True,
            "editmessagetext": self._edit_message,
            "editmessagereplymarkup": self._edit_message,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._webhook_info,
            "setmycommands": self._set_commands,
            "getmycommands": lambda params: self._state.commands,
            "sendchataction": lambda params: True,
            "getfile": self._get_file,
            "close": lambda params: True,
            "logout": lambda params: True,
        }
        self.app = Starlette(routes=[
            Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            Route("/_fake/health", lambda request: JSONResponse({"ok": True})),
            Route("/_fake/sent", self._control_sent),
            Route("/_fake/stats", self._control_stats),
            Route("/_fake/calls", self._control_calls),
            Route("/_fake/reset", self._control_reset, methods=["POST"]),
            Route("/_fake/fail", self._control_fail, methods=["POST"]),
            Route("/_fake/block", self._control_block, methods=["POST"]),
        ])

    # --- what a test says ------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets calls, queued updates, faults, the webhook and the commands."""
        with self._lock:
            # Requests still under way (a long poll) then answer and record into the old state.
            self._state = _State()

    def queue(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates to serve, in order."""
        with self._lock:
            self._state.updates.extend(updates)

    def fail_next(self, method: str, error_code: int, count: int = 1, *,
                  retry_after: int | None = None, description: str | None = None,
                  chat_id: int | None = None) -> None:
        """The next `count` calls of `method` (to `chat_id`, if given) fail with error_code."""
        self._add_fault(method, error_code, count, retry_after, description, chat_id)

    def block(self, chat_id: int) -> None:
        """The user of `chat_id` blocked the bot: every message or photo to them gets 403."""
        with self._lock:
            self._state.blocked.add(chat_id)

    def _add_fault(self, method: str, error_code: int, count: int | None,
                   retry_after: int | None, description: str | None,
                   chat_id: int | None) -> None:
        parameters = None
        if error_code == 429:
            retry_after = retry_after or 1
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or ERROR_DESCRIPTIONS.get(error_code, "Internal Server Error")
        with self._lock:
            self._state.faults.append(Fault(method, ApiError(error_code, description, parameters),
                                            chat_id, count))

    # --- what a test reads -----------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The parameters of every sendMessage that succeeded (to `chat_id`, if given)."""
        return [call.params for call in self.calls_to("sendMessage") if call.ok and (
            chat_id is None or _int_or_none(call.params.get("chat_id")) == chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        return [params["text"] for params in self.sent_messages(chat_id)]

    @property
    def webhook(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state.webhook)

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Waits until condition() is truthy and returns it; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"still waiting after {timeout} s; calls: "
                                     f"{[(c.method, c.ok) for c in self.calls][-20:]}")
            await asyncio.sleep(0.01)

    async def wait_for_text(self, chat_id: int, fragment: str,
                            timeout: float = 10.0) -> dict[str, Any]:
        """The first message sent to `chat_id` containing `fragment`, once it is sent."""
        return await self.wait_for(lambda: next(
            (params for params in self.sent_messages(chat_id) if fragment in params["text"]),
            None), timeout)

    # --- updates as Telegram sends them ----------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    @staticmethod
    def user(chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Công dân", "language_code": "vi"}

    @staticmethod
    def chat(chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "type": "private", "first_name": "Công dân"}

    def _message(self, chat_id: int, **fields: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": self.chat(chat_id), "from": self.user(chat_id), **fields}

    def text_update(self, chat_id: int, text: str) -> dict[str, Any]:
        """A message; a leading /command gets its bot_command entity, as Telegram adds it."""
        message = self._message(chat_id, text=text)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return {"update_id": self.next_update_id(), "message": message}

    def callback_update(self, chat_id: int, data: str) -> dict[str, Any]:
        """A press of an inline button with `data`, under an earlier bot message."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chat(chat_id), "from": BOT_USER, "text": "…"}
        query = {"id": str(next(self._query_ids)), "from": self.user(chat_id),
                 "chat_instance": f"instance-{chat_id}", "data": data, "message": message}
        return {"update_id": self.next_update_id(), "callback_query": query}

    def photo_update(self, chat_id: int, caption: str | None = None, *,
                     file_id: str = "AgACAgIAAxkBAAIBPhoto", size: int = 204_800,
                     media_group_id: str | None = None) -> dict[str, Any]:
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": f"{file_id[-8:]}-s",
                  "width": 90, "height": 120, "file_size": size // 20},
                 {"file_id": file_id, "file_unique_id": file_id[-8:], "width": 960,
                  "height": 1280, "file_size": size}]
        fields: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            fields["caption"] = caption
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return {"update_id": self.next_update_id(), "message": self._message(chat_id, **fields)}

    def document_update(self, chat_id: int, file_name: str, mime_type: str, *,
                        size: int = 51_200, caption: str | None = None,
                        file_id: str = "BQACAgIAAxkBAAIBDocument") -> dict[str, Any]:
        document = {"file_id": file_id, "file_unique_id": file_id[-8:], "file_name": file_name,
                    "mime_type": mime_type, "file_size": size}
        fields: dict[str, Any] = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return {"update_id": self.next_update_id(), "message": self._message(chat_id, **fields)}

    def my_chat_member_update(self, chat_id: int, status: str) -> dict[str, Any]:
        """The user blocked ("kicked") or unblocked ("member") the bot."""
        old = "member" if status != "member" else "kicked"
        change = {"chat": self.chat(chat_id), "from": self.user(chat_id), "date": int(time.time()),
                  "old_chat_member": {"user": BOT_USER, "status": old, **_until(old)},
                  "new_chat_member": {"user": BOT_USER, "status": status, **_until(status)}}
        return {"update_id": self.next_update_id(), "my_chat_member": change}

    # --- serving ---------------------------------------------------------------------------

    @contextmanager
    def serving(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeTelegram]:
        """Serves the fake from a background thread; `base_url` says where."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.base_url = f"http://{host}:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                               access_log=False))
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                                  name="fake-telegram", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the fake Telegram server did not start")
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    # --- the Bot API -----------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await _parameters(request)
        with self._lock:
            state = self._state
        try:
            if request.path_params["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._raise_fault(method, params)
            if method.lower() == "getupdates":
                result = await self._get_updates(params)
            else:
                with self._lock:
                    result = handler(params)
        except ApiError as error:
            self._record(state, ApiCall(method, params, ok=False, error_code=error.error_code))
            return error.response()
        self._record(state, ApiCall(method, params, ok=True))
        return JSONResponse({"ok": True, "result": result})

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        return Response(b"\xff\xd8\xff\xe0fake-jpeg", media_type="image/jpeg")

    def _record(self, state: _State, call: ApiCall) -> None:
        with self._lock:
            state.calls.append(call)

    def _raise_fault(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            if (method.lower() in SENDING_METHODS
                    and _int_or_none(params.get("chat_id")) in self._state.blocked):
                raise ApiError(403, ERROR_DESCRIPTIONS[403])
            for fault in self._state.faults:
                if fault.matches(method, params):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._state.faults.remove(fault)
                    raise fault.error

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int_or_none(params.get("offset"))
        limit = _int_or_none(params.get("limit")) or 100
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if self._state.webhook.get("url"):
                    raise ApiError(409, "Conflict: can't use getUpdates method while webhook "
                                        "is active; use deleteWebhook to delete the webhook "
                                        "first")
                if offset is not None:
                    # As Telegram does: an offset confirms every update before it.
                    self._state.updates = [update for update in self._state.updates
                                           if update["update_id"] >= offset]
                ready = self._state.updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.01)

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        _check_keyboard(params.get("reply_markup"))
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chat(chat_id), "from": BOT_USER, "text": text}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        caption = params.get("caption")
        if isinstance(caption, str) and len(caption.encode("utf-16-le")) // 2 > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        _check_keyboard(params.get("reply_markup"))
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chat(chat_id), "from": BOT_USER,
                   "photo": [{"file_id": "AgACAgFakePhoto", "file_unique_id": "FakePhoto",
                              "width": 800, "height": 600}]}
        if caption:
            message["caption"] = caption
        return message

    def _edit_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is None or params.get("message_id") is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        _check_keyboard(params.get("reply_markup"))
        return {"message_id": params["message_id"], "date": int(time.time()),
                "edit_date": int(time.time()), "chat": self.chat(chat_id), "from": BOT_USER,
                "text": params.get("text", "…")}

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                "webhook")
        self._state.webhook = {key: params[key] for key in
                               ("url", "secret_token", "allowed_updates", "max_connections",
                                "drop_pending_updates") if key in params}
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._state.webhook = {}
        if params.get("drop_pending_updates"):
            self._state.updates = []
        return True

    def _webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info = {"url": self._state.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._state.updates)}
        if "allowed_updates" in self._state.webhook:
            info["allowed_updates"] = self._state.webhook["allowed_updates"]
        return info

    def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self._state.commands = commands
        return True

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id") or ""
        return {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": 1024,
                "file_path": f"photos/{file_id[-8:]}.jpg"}

    # --- control API, for a fake running as its own process --------------------------------

    async def _control_sent(self, request: Request) -> Response:
        return JSONResponse([
            {"chat_id": _int_or_none(call.params.get("chat_id")),
             "text": call.params.get("text", call.params.get("caption")), "at": call.at}
            for call in self.calls if call.ok and call.method.lower() in SENDING_METHODS])

    async def _control_stats(self, request: Request) -> Response:
        with self._lock:
            calls = list(self._state.calls)
        sent = sum(1 for c in calls if c.ok and c.method.lower() in SENDING_METHODS)
        return JSONResponse({"calls": len(calls), "sent": sent,
                             "failed": sum(1 for c in calls if not c.ok)})

    async def _control_calls(self, request: Request) -> Response:
        method = request.query_params.get("method")
        calls = self.calls_to(method) if method else self.calls
        return JSONResponse([{"method": c.method, "params": c.params, "ok": c.ok,
                              "error_code": c.error_code} for c in calls])

    async def _control_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"ok": True})

    async def _control_fail(self, request: Request) -> Response:
        fault = await request.json()
        self.fail_next(fault["method"], int(fault["error_code"]), int(fault.get("count", 1)),
                       retry_after=fault.get("retry_after"), chat_id=fault.get("chat_id"),
                       description=fault.get("description"))
        return JSONResponse({"ok": True})

    async def _control_block(self, request: Request) -> Response:
        for chat_id in (await request.json())["chat_ids"]:
            self.block(int(chat_id))
        return JSONResponse({"ok": True})


def _until(status: str) -> dict[str, Any]:
    return {"until_date": 0} if status == "kicked" else {}


def _check_keyboard(markup: Any) -> None:
    if not markup:
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline "
                                    "keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if data is None and not button.get("url"):
                raise ApiError(400, "Bad Request: can't find field \"callback_data\"")


async def _parameters(request: Request) -> dict[str, Any]:
    """The method's parameters, from the query string and a JSON, form or multipart body."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        data = json.loads(body or b"{}")
        return {**params, **(data if isinstance(data, dict) else {})}
    if "application/x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    elif "multipart/form-data" in content_type:
        pairs = _multipart_pairs(content_type, body)
    else:
        pairs = []
    params.update(pairs)
    return {name: _decoded(name, value) for name, value in params.items()}


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, str]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        pairs.append((str(name), f"<file {filename}>" if filename else payload.decode("utf-8")))
    return pairs


def _decoded(name: str, value: Any) -> Any:
    if name in TEXT_PARAMETERS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    uvicorn.run(FakeTelegram(args.token).app, host=args.host, port=args.port,
                log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
