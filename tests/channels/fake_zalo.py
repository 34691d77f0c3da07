"""A local stand-in for Zalo's OA API and OAuth server, for the Zalo channel's tests and benchmark.

    with FakeZalo() as zalo:                     # serves on a free 127.0.0.1 port
        settings = replace(settings, zalo_api_base_url=zalo.url, zalo_oauth_base_url=zalo.url,
                           zalo_app_secret=zalo.app_secret,
                           zalo_oa_access_token="AT-0", zalo_oa_refresh_token="RT-0")
        zalo.fail_next(1, -216)                  # the next send: "Access token is invalid"
        ...
        zalo.delivered("42")                     # texts user 42 was sent successfully

What it does like Zalo (as documented; Zalo itself cannot be reached from here):
- POST /v3.0/oa/message/cs with header `access_token` and {"recipient": {"user_id"}, "message":
  {"text"}} answers HTTP 200 with {"error": 0, "message": "Success", "data": {...}}, and errors
  also with HTTP 200: -216 for a token it never issued, -201 for a missing field or a text over
  2,000 characters, or whatever `fail_next` queued.
- POST /v3.0/oa/message/promotion (a promotion message, for news) takes {"recipient":
  {"user_id"}, "message": {"attachment": {"type": "template", "payload": {"template_type":
  "promotion", "elements": [...], "buttons": [...]}}}}: -201 without a header and a text
  element (text over 2,000 characters), -213 for a user who unfollowed (`unfollow`); recorded
  with kind "promotion" and the header and text joined as its text.
- POST /v4/oa/access_token (form: refresh_token, app_id, grant_type=refresh_token; header
  `secret_key`) returns a new access token AND a new refresh token; each refresh token works
  once, and a second use fails. The OAuth error codes it answers (-14014 and the others below)
  are stand-ins: the channel only relies on `access_token` being absent on failure.
- Every send is recorded, failed ones too, with the token it carried.

Run alone for the benchmark: `python -m tests.channels.fake_zalo --port 8901`; GET /_fake/sent
then lists the sends as JSON, GET /_fake/count counts them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

APP_SECRET = "fake-app-secret"
FIRST_ACCESS_TOKEN = "AT-0"
FIRST_REFRESH_TOKEN = "RT-0"
MAX_TEXT_CHARS = 2000
ERROR_MESSAGES = {
    -201: "message.text is invalid!",
    -211: "Out of quota",
    -213: "User has not followed the OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
    -234: "This message type cannot be sent at night (22:00-06:00)",
}


@dataclass(frozen=True)
class SentMessage:
    user_id: str | None
    text: str | None
    access_token: str | None
    error: int
    kind: str = "cs"

    @property
    def ok(self) -> bool:
        return self.error == 0


@dataclass(frozen=True)
class RefreshCall:
    refresh_token: str | None
    app_id: str | None
    grant_type: str | None
    secret_key: str | None
    ok: bool


class FakeZalo:
    """The fake servers' state, and the uvicorn server serving them in a background thread."""

    def __init__(self, app_secret: str = APP_SECRET) -> None:
        self.app_secret = app_secret
        self._lock = threading.Lock()
        self.reset()
        self.app = Starlette(routes=[
            Route("/v3.0/oa/message/cs", self._send, methods=["POST"]),
            Route("/v3.0/oa/message/promotion", self._send_promotion, methods=["POST"]),
            Route("/v4/oa/access_token", self._refresh, methods=["POST"]),
            Route("/_fake/sent", self._list_sent, methods=["GET"]),
            Route("/_fake/count", self._count_sent, methods=["GET"]),
        ])
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def reset(self) -> None:
        """Forget every send and refresh; only the first token pair is valid again."""
        with self._lock:
            self.sent: list[SentMessage] = []
            self.refreshes: list[RefreshCall] = []
            self._failures: deque[int] = deque()
            self._access_tokens = {FIRST_ACCESS_TOKEN}
            self._refresh_tokens = {FIRST_REFRESH_TOKEN}
            self._numbers = itertools.count(1)
            self._gate: threading.Event | None = None
            self._unfollowed: set[str] = set()
            # Called (in the server's thread) with each send before it is answered.
            self.on_send: Callable[[SentMessage], None] | None = None

    # --- what tests tell it ---------------------------------------------------------------

    def fail_next(self, count: int, error: int) -> None:
        """Answer the next `count` sends with Zalo error `error` (e.g. -216, -230, -201)."""
        with self._lock:
            self._failures.extend([error] * count)

    def unfollow(self, user_id: str) -> None:
        """The user no longer follows the OA: promotion messages to them get -213."""
        with self._lock:
            self._unfollowed.add(user_id)

    def promotions(self, user_id: str | None = None) -> list[SentMessage]:
        """The promotion messages delivered (to `user_id`, if given), in order."""
        with self._lock:
            return [m for m in self.sent if m.ok and m.kind == "promotion"
                    and (user_id is None or m.user_id == user_id)]

    def revoke(self, access_token: str) -> None:
        """From now on, sends with `access_token` get -216, as when Zalo expires it."""
        with self._lock:
            self._access_tokens.discard(access_token)

    def hold_sends(self) -> threading.Event:
        """Sends wait, unanswered, until the returned event is set."""
        gate = threading.Event()
        with self._lock:
            self._gate = gate
        return gate

    def delivered(self, user_id: str) -> list[str]:
        """The texts user `user_id` was sent successfully, in order."""
        with self._lock:
            return [m.text or "" for m in self.sent if m.ok and m.user_id == user_id]

    # --- the endpoints --------------------------------------------------------------------

    async def _send(self, request: Request) -> JSONResponse:
        token = request.headers.get("access_token")
        try:
            body = await request.json()
            user_id, text = body["recipient"]["user_id"], body["message"]["text"]
        except (ValueError, KeyError, TypeError):
            user_id = text = None
        with self._lock:
            gate = self._gate
        if gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, 30)
        with self._lock:
            if self._failures:
                error = self._failures.popleft()
            elif token not in self._access_tokens:
                error = -216
            elif not isinstance(user_id, str) or not isinstance(text, str) or not text \
                    or len(text) > MAX_TEXT_CHARS:
                error = -201
            else:
                error = 0
            sent = SentMessage(user_id, text, token, error)
            self.sent.append(sent)
            hook = self.on_send
        if hook is not None:
            hook(sent)
        if error:
            return JSONResponse({"error": error, "message": ERROR_MESSAGES.get(error, "Error")})
        return JSONResponse({"error": 0, "message": "Success",
                             "data": {"message_id": f"m{time.monotonic_ns()}",
                                      "user_id": user_id}})

    async def _send_promotion(self, request: Request) -> JSONResponse:
        token = request.headers.get("access_token")
        try:
            body = await request.json()
            user_id = body["recipient"]["user_id"]
            attachment = body["message"]["attachment"]
            template = attachment["payload"]
            elements = {element["type"]: element for element in template["elements"]}
            valid = (attachment["type"] == "template"
                     and template["template_type"] == "promotion"
                     and isinstance(elements["header"]["content"], str)
                     and isinstance(elements["text"]["content"], str)
                     and 0 < len(elements["text"]["content"]) <= MAX_TEXT_CHARS)
            text = f"{elements['header']['content']}\n{elements['text']['content']}"
        except (ValueError, KeyError, TypeError):
            user_id = text = None
            valid = False
        with self._lock:
            if self._failures:
                error = self._failures.popleft()
            elif token not in self._access_tokens:
                error = -216
            elif not valid or not isinstance(user_id, str):
                error = -201
            elif user_id in self._unfollowed:
                error = -213
            else:
                error = 0
            self.sent.append(SentMessage(user_id, text, token, error, "promotion"))
        if error:
            return JSONResponse({"error": error, "message": ERROR_MESSAGES.get(error, "Error")})
        return JSONResponse({"error": 0, "message": "Success",
                             "data": {"message_id": f"m{time.monotonic_ns()}",
                                      "user_id": user_id}})

    async def _refresh(self, request: Request) -> JSONResponse:
        # Parsed by hand: Starlette's form parser needs python-multipart, not installed here.
        form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
        refresh_token, app_id, grant_type = (form.get("refresh_token"), form.get("app_id"),
                                             form.get("grant_type"))
        secret = request.headers.get("secret_key")
        with self._lock:
            if secret != self.app_secret:
                answer = _oauth_error(-14004, "Invalid secret key")
            elif grant_type != "refresh_token" or not app_id:
                answer = _oauth_error(-14001, "Invalid parameter")
            elif refresh_token not in self._refresh_tokens:
                answer = _oauth_error(-14014, "Invalid refresh token")
            else:
                number = next(self._numbers)
                self._refresh_tokens.discard(refresh_token)
                self._access_tokens.add(f"AT-{number}")
                self._refresh_tokens.add(f"RT-{number}")
                answer = {"access_token": f"AT-{number}", "refresh_token": f"RT-{number}",
                          "expires_in": "90000"}
            self.refreshes.append(RefreshCall(refresh_token, app_id, grant_type, secret,
                                              "access_token" in answer))
        return JSONResponse(answer)

    async def _list_sent(self, request: Request) -> JSONResponse:
        with self._lock:
            return JSONResponse([asdict(m) for m in self.sent])

    async def _count_sent(self, request: Request) -> JSONResponse:
        with self._lock:
            return JSONResponse({"sent": len(self.sent)})

    # --- serving --------------------------------------------------------------------------

    def start(self) -> FakeZalo:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="fake-zalo", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Zalo server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeZalo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _oauth_error(code: int, name: str) -> dict:
    return {"error": code, "error_name": name, "error_reason": name,
            "error_description": name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app-secret", default=APP_SECRET)
    args = parser.parse_args()
    uvicorn.run(FakeZalo(args.app_secret).app, host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
