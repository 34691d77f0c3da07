"""Zalo's Official Account API as the bot uses it: sending a consultation message (a reply) or a
promotion message (news, bot/broadcast) with the OA access token, and refreshing that token
when Zalo says it has expired.

Zalo answers errors with HTTP 200 and a negative `error` in the JSON, so every answer is read.
An expired token (-216 and kin) is refreshed through the OAuth server; the refresh token works
once, and Zalo returns a new pair, which is committed to the database before it is used: if the
process died between the refresh and the save, the OA admin would have to grant access again.

Error codes and their meaning come from Zalo's "Mã lỗi" appendix of the Official Account API
(developers.zalo.me/docs/api/official-account-api/phu-luc/ma-loi-post-735, now served at
docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi), as quoted by public client libraries; -124 is
from the ZNS/ZBS table of the same site. Zalo cannot be reached from here to check them again.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bot.config import Settings
from bot.storage import Store

log = logging.getLogger(__name__)

# httpcore runs `import sniffio` on every request to learn which async library runs it; anyio 4
# no longer installs sniffio, and each failed import searches sys.path again (0.6 ms of the
# 1.7 ms a send cost in benchmarks/zalo_bench.py). Marked absent, the import fails at once and
# httpcore assumes asyncio, as it would have anyway. Drop this once sniffio is a dependency.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)

SEND_PATH = "/v3.0/oa/message/cs"
# Promotion messages ("tin truyền thông"): what an OA sends its followers unasked, e.g. news.
PROMOTION_PATH = "/v3.0/oa/message/promotion"
REFRESH_PATH = "/v4/oa/access_token"
TIMEOUT_SECONDS = 10.0

ZALO_ERRORS: dict[int, str] = {
    -32: "rate limit reached (app or OA called the API too often this minute)",
    -100: "attachment id expired (uploaded assets live 7 days)",
    -124: "access token invalid (ZNS/ZBS table)",
    -200: "send message failed",
    -201: "invalid parameter",
    -202: "invalid MAC",
    -204: "Official Account deleted or disabled",
    -205: "Official Account does not exist",
    -207: "Official Account not registered as a third party",
    -208: "Official Account has no secret key",
    -209: "API not supported (the app is not activated)",
    -210: "parameter outside the permitted range",
    -211: "out of quota",
    -212: "the app has not registered this API",
    -213: "user does not follow the Official Account",
    -214: "article is being processed",
    -215: "invalid app id",
    -216: "access token invalid",
    -217: "user blocked invitations from the Official Account",
    -218: "user's quota for receiving messages is used up",
    -219: "app removed or disabled",
    -220: "access token expired or revoked",
    -221: "Official Account not verified",
    -222: "user account blocked or inactive for more than 45 days (older table)",
    -223: "Official Account has not authorised this API",
    -224: "Official Account needs a higher service package",
    -227: "user banned or inactive on Zalo for more than 45 days",
    -230: "user has not interacted with the Official Account in the past 7 days",
    -232: "user has not interacted with the Official Account, or the last interaction expired",
    -233: "message type invalid or not supported",
    -234: "this message type cannot be sent at night (22:00-06:00)",
    -235: "this API does not support this type of Official Account",
    -240: "message API v2 shut down; use v3",
    -242: "invalid appsecret_proof",
    -244: "user has restricted this message type from the Official Account",
    -248: "content violates Zalo's platform standards",
    -305: "Official Account cannot reply after 48 hours (older table)",
    -311: "out of quota for replying to user messages (older table)",
    -320: "the app must be linked to a Zalo Cloud Account for paid features",
    -321: "Zalo Cloud Account out of money or cannot be charged",
}
# Refresh the access token and send again, once.
TOKEN_ERRORS = frozenset({-216, -220, -124})
# Requests per minute are limited (4,000 for an app's OA API calls): wait and send again.
RATE_LIMITED = -32
RATE_LIMIT_PAUSES = (1.0, 5.0)
# The citizen cannot be sent a consultation message now: outside the interaction window
# (-230, -232; -305 in Zalo's older table), or gone from Zalo (-227, -222). They are marked
# unreachable until they write again (Store.touch_user clears the mark).
UNREACHABLE_ERRORS = frozenset({-230, -232, -305, -227, -222})


class ZaloSetupError(RuntimeError):
    """The Zalo channel lacks configuration it needs; the message names the variable."""


def describe(code: int | None) -> str:
    """What a Zalo error code means, in words."""
    if code is None:
        return "no answer from Zalo"
    return ZALO_ERRORS.get(code, "unknown Zalo error code")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error_code: int | None = None
    error_message: str | None = None
    # True when the message certainly did not reach Zalo (no connection), so sending it
    # again cannot make a second copy.
    unsent: bool = False

    @property
    def meaning(self) -> str:
        return "delivered" if self.ok else describe(self.error_code)


class ZaloApi:
    """Sends consultation messages as the OA; keeps the token pair in the store."""

    def __init__(self, store: Store, settings: Settings, client: httpx.AsyncClient,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.client = client
        self.clock = clock
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._refresh_lock = asyncio.Lock()
        # Seconds to wait before each new try of a send refused for the rate limit.
        self.rate_limit_pauses: tuple[float, ...] = RATE_LIMIT_PAUSES

    @property
    def access_token(self) -> str | None:
        return self._access_token

    @property
    def has_refresh_token(self) -> bool:
        return bool(self._refresh_token)

    def load_tokens(self) -> None:
        """The token pair: from the database, unless the environment holds a pair other than
        the one the database was seeded from (an operator put a new one there); else from the
        environment. Raises ZaloSetupError when there is no access token at all."""
        app_id = self._app_id()
        seed = _seed(self.settings.zalo_oa_access_token, self.settings.zalo_oa_refresh_token)
        stored = self.store.zalo_tokens(app_id)
        if stored is not None and (seed is None or stored.seed == seed):
            self._access_token, self._refresh_token = stored.access_token, stored.refresh_token
            return
        if self.settings.zalo_oa_access_token is None:
            raise ZaloSetupError("ZALO_OA_ACCESS_TOKEN is not set and the database holds no "
                                 "Zalo token: set it to the OA access token (and "
                                 "ZALO_OA_REFRESH_TOKEN to its refresh token)")
        self._access_token = self.settings.zalo_oa_access_token
        self._refresh_token = self.settings.zalo_oa_refresh_token
        self.store.save_zalo_tokens(app_id, self._access_token, self._refresh_token, seed,
                                    now=self._now())

    async def send_text(self, user_id: str, text: str) -> SendResult:
        """One consultation message; an expired token is refreshed and the send tried again."""
        return await self._send(SEND_PATH, {"recipient": {"user_id": user_id},
                                            "message": {"text": text}})

    async def send_promotion(self, user_id: str, message: dict) -> SendResult:
        """One promotion message ("tin truyền thông", for news to followers): `message` is
        the template object (bot/broadcast/render.py); tokens are handled as for send_text."""
        return await self._send(PROMOTION_PATH, {"recipient": {"user_id": user_id},
                                                 "message": message})

    async def _send(self, path: str, payload: dict) -> SendResult:
        token = self._access_token
        if token is None:
            raise ZaloSetupError("the Zalo tokens are not loaded: call ZaloChannel.start() first")
        result = await self._post_patiently(token, path, payload)
        if result.ok or result.error_code not in TOKEN_ERRORS:
            return result
        fresh = await self.refresh(token)
        if fresh is None:
            return result
        return await self._post_patiently(fresh, path, payload)

    async def _post_patiently(self, token: str, path: str, payload: dict) -> SendResult:
        """A send, tried again after a pause while Zalo says the rate limit is reached."""
        result = await self._post(token, path, payload)
        for pause in self.rate_limit_pauses:
            if result.error_code != RATE_LIMITED:
                break
            await asyncio.sleep(pause)
            result = await self._post(token, path, payload)
        return result

    async def _post(self, token: str, path: str, payload: dict) -> SendResult:
        try:
            response = await self.client.post(f"{self.settings.zalo_api_base_url}{path}",
                                               json=payload, headers={"access_token": token})
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # No connection was made: the message certainly did not reach Zalo.
            return SendResult(False, None, f"{type(error).__name__}: {error}", unsent=True)
        except httpx.HTTPError as error:
            return SendResult(False, None, f"{type(error).__name__}: {error}")
        if response.status_code != 200:
            return SendResult(False, None, f"HTTP {response.status_code}")
        data = _json_object(response)
        code = _error_code(data)
        if code == 0:
            return SendResult(True)
        if code is None:
            return SendResult(False, None, f"unexpected answer: {response.text[:200]!r}")
        return SendResult(False, code, str(data.get("message") or ""))

    async def refresh(self, failed_token: str) -> str | None:
        """A fresh access token after `failed_token` was refused, or None if there is none.

        One refresh at a time: a coroutine that waited while another refreshed, or that finds
        the database already holding a pair another worker got, uses that pair instead of
        spending the refresh token a second time.
        """
        async with self._refresh_lock:
            if self._access_token != failed_token:
                return self._access_token
            app_id = self._app_id()
            fresh = self._adopt_stored(app_id, failed_token)
            if fresh is not None:
                return fresh
            seed = _stored_seed(self.store, app_id)
            fresh = await self._refresh_now(app_id, seed)
            # Refused: another worker may have spent the refresh token a moment before us.
            return fresh if fresh is not None else self._adopt_stored(app_id, failed_token)

    def _adopt_stored(self, app_id: str, failed_token: str) -> str | None:
        """The database's access token if it is not the one refused (another worker
        refreshed), now used by this process too; else None."""
        stored = self.store.zalo_tokens(app_id)
        if stored is None or stored.access_token == failed_token:
            return None
        self._access_token, self._refresh_token = stored.access_token, stored.refresh_token
        return stored.access_token

    async def _refresh_now(self, app_id: str, seed: str | None) -> str | None:
        secret = self.settings.zalo_app_secret
        if not self._refresh_token or not secret:
            missing = "ZALO_APP_SECRET" if not secret else "a refresh token"
            log.error("the Zalo OA access token was refused and cannot be refreshed without "
                      "%s; replies on Zalo fail until a new token is configured", missing)
            return None
        try:
            response = await self.client.post(
                f"{self.settings.zalo_oauth_base_url}{REFRESH_PATH}",
                data={"refresh_token": self._refresh_token, "app_id": app_id,
                      "grant_type": "refresh_token"},
                headers={"secret_key": secret})
        except httpx.HTTPError as error:
            log.error("could not reach Zalo to refresh the OA access token: %s", error)
            return None
        data = _json_object(response)
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access:
            log.error("Zalo refused to refresh the OA access token (HTTP %s, error %s, %s: %s); "
                      "an OA admin may have to grant the app access again",
                      response.status_code, data.get("error"), data.get("error_name"),
                      data.get("error_description") or data.get("message"))
            return None
        refresh = refresh if isinstance(refresh, str) and refresh else None
        # The old refresh token is spent: the new pair is committed before anything uses it.
        try:
            self.store.save_zalo_tokens(app_id, access, refresh, seed, now=self._now())
        except Exception:
            log.exception("could not store the new Zalo token pair: it is used from memory, "
                          "and after a restart an OA admin will have to grant access again")
        self._access_token, self._refresh_token = access, refresh
        if refresh is None:
            log.warning("Zalo refreshed the OA access token without a new refresh token; the "
                        "next expiry will need a new token from an OA admin")
        log.info("refreshed the Zalo OA access token")
        return access

    def _app_id(self) -> str:
        if not self.settings.zalo_app_id:
            raise ZaloSetupError("ZALO_APP_ID is not set: set it to the Zalo app's id")
        return self.settings.zalo_app_id

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def _stored_seed(store: Store, app_id: str) -> str | None:
    stored = store.zalo_tokens(app_id)
    return stored.seed if stored is not None else None


def _seed(access_token: str | None, refresh_token: str | None) -> str | None:
    """A fingerprint of the environment's token pair (not the tokens themselves)."""
    if access_token is None:
        return None
    pair = f"{access_token}\n{refresh_token or ''}".encode()
    return hashlib.sha256(pair).hexdigest()[:16]


def _json_object(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_code(data: dict) -> int | None:
    """Zalo's `error` (0 on success); None when the answer has none that makes sense."""
    raw = data.get("error", None)
    if isinstance(raw, bool):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
