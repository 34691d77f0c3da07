"""Each channel's way of sending one announcement to one citizen, and what came of it.

    TelegramSender(bot, text)          # any PTB Bot: the running channel's, or its own
    ZaloSender(api, text)              # a ZaloApi with its tokens loaded

In `bot serve` the channels' own clients are used: `TelegramSender(channel.application.bot,
text)` (its AIORateLimiter then also counts the replies to citizens against Telegram's limit)
and `ZaloSender(zalo_channel.api, text)`. `python -m bot broadcast run` makes its own with
`own_senders(settings, store, text)`.

The outcome of a send (bot/broadcast/delivery.Outcome):
- Telegram: accepted → sent; 403 (blocked, deactivated) → blocked; 429 → wait retry_after
  and send again; 400 → failed with Telegram's words; no connection → tried again; a time-out
  or a connection lost mid-way → failed (it may have arrived: never sent twice). An image
  Telegram cannot fetch is dropped for the rest of that announcement, which then goes as a
  text message.
- Zalo (a promotion message): accepted → sent; -213 (not a follower) → blocked; -230, -227 and
  the other "cannot be reached" codes → failed and marked unreachable; -234 (night) → held
  until 06:00; -211 (the OA's quota) → held until the next day; -32 (rate) → wait a minute;
  no connection → tried again; anything else → failed with Zalo's code and meaning.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.broadcast.announcements import Announcement
from bot.broadcast.delivery import Outcome, Sender
from bot.broadcast.render import (
    TelegramMessage,
    ZaloMessage,
    telegram_message,
    zalo_message,
)
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.zalo_api import (
    RATE_LIMITED,
    TIMEOUT_SECONDS,
    UNREACHABLE_ERRORS,
    SendResult,
    ZaloApi,
    describe,
)
from bot.config import Settings
from bot.storage import Store

log = logging.getLogger(__name__)

Text = Callable[..., str]
NOT_FOLLOWING = frozenset({-213})
NIGHT = -234
OUT_OF_QUOTA = -211
ZALO_RATE_LIMIT_PAUSE = 60.0
# Words in Telegram's answer when the image, not the chat, is what it refused.
_PHOTO_PROBLEMS = ("url", "file", "photo", "image", "web page", "media")


class TelegramSender:
    def __init__(self, bot: Bot, text: Text, *, owns_bot: bool = False) -> None:
        self.bot = bot
        self.text = text
        self._owns_bot = owns_bot
        self._rendered: dict[int, TelegramMessage] = {}
        self._photo_refused: set[int] = set()

    @classmethod
    def own(cls, settings: Settings, text: Text, connections: int = 8) -> TelegramSender:
        """A sender with a Bot of its own (no PTB rate limiter: the broadcaster paces it)."""
        if not settings.telegram_bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        base = settings.telegram_api_base_url
        bot = Bot(settings.telegram_bot_token, base_url=f"{base}/bot",
                  base_file_url=f"{base}/file/bot", request=AiohttpRequest(connections),
                  get_updates_request=AiohttpRequest(1))
        return cls(bot, text, owns_bot=True)

    async def start(self) -> None:
        await self.bot.initialize()

    async def stop(self) -> None:
        if self._owns_bot:
            await self.bot.shutdown()

    async def send(self, user_id: str, announcement: Announcement) -> Outcome:
        message = self._rendered.get(announcement.id)
        if message is None:
            message = self._rendered[announcement.id] = telegram_message(announcement,
                                                                         self.text)
        try:
            await self._send(int(user_id), announcement.id, message)
        except Forbidden as error:
            return Outcome.blocked(f"Telegram 403: {error.message}")
        except RetryAfter as error:
            return Outcome.rate_limited(_seconds(error), "Telegram 429: Too Many Requests")
        except BadRequest as error:
            return Outcome.failed(f"Telegram 400: {error.message}")
        except NetworkError as error:
            if _never_sent(error):
                return Outcome.network_error(f"Telegram: không kết nối được ({error.message})")
            # A time-out or a connection lost mid-way: the message may have arrived.
            return Outcome.failed(f"Telegram: {error.message} (có thể đã tới; không gửi lại)")
        except TelegramError as error:
            return Outcome.failed(f"Telegram: {error.message}")
        return Outcome.sent()

    async def _send(self, chat_id: int, announcement_id: int, message: TelegramMessage) -> None:
        markup = InlineKeyboardMarkup([
            [InlineKeyboardButton(button.label, url=button.url)] if button.url else
            [InlineKeyboardButton(button.label, callback_data=button.payload)]
            for button in message.buttons])
        if message.as_photo and announcement_id not in self._photo_refused:
            try:
                await self.bot.send_photo(chat_id, message.image_url, caption=message.text,
                                          reply_markup=markup)
                return
            except BadRequest as error:
                if not any(word in error.message.lower() for word in _PHOTO_PROBLEMS):
                    raise
                # Telegram did not take the photo, so nothing reached the citizen yet.
                log.warning("Telegram refused the image of announcement %s (%s): it goes as "
                            "a text message with the image as its link preview",
                            announcement_id, error.message)
                self._photo_refused.add(announcement_id)
        await self.bot.send_message(chat_id, message.text, reply_markup=markup,
                                    link_preview_options=_preview(message))


class ZaloSender:
    def __init__(self, api: ZaloApi, text: Text, *,
                 client: httpx.AsyncClient | None = None) -> None:
        self.api = api
        self.text = text
        self._client = client  # closed by stop() when the sender made it
        self._rendered: dict[int, ZaloMessage] = {}

    @classmethod
    def own(cls, settings: Settings, store: Store, text: Text,
            connections: int = 8) -> ZaloSender:
        client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, limits=httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections))
        return cls(ZaloApi(store, settings, client), text, client=client)

    async def start(self) -> None:
        self.api.load_tokens()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def send(self, user_id: str, announcement: Announcement) -> Outcome:
        message = self._rendered.get(announcement.id)
        if message is None:
            message = self._rendered[announcement.id] = zalo_message(announcement, self.text)
        return zalo_outcome(await self.api.send_promotion(user_id, message.message))


def zalo_outcome(result: SendResult) -> Outcome:
    code = result.error_code
    if result.ok:
        return Outcome.sent()
    reason = f"Zalo {code}: {describe(code)}" if code is not None else (
        f"Zalo: {result.error_message}")
    if code in NOT_FOLLOWING:
        return Outcome.blocked(reason)
    if code in UNREACHABLE_ERRORS:
        return Outcome.failed(reason, unreachable=True)
    if code == NIGHT:
        return Outcome.held("night", reason)
    if code == OUT_OF_QUOTA:
        return Outcome.held("quota", reason)
    if code == RATE_LIMITED:
        return Outcome.rate_limited(ZALO_RATE_LIMIT_PAUSE, reason)
    if code is None and result.unsent:
        return Outcome.network_error(reason)
    return Outcome.failed(reason)


def channel_senders(text: Text, *, telegram_bot: Bot | None = None,
                    zalo_api: ZaloApi | None = None) -> dict[str, Sender]:
    """Senders over the running channels' own clients, for `bot serve`:
    `channel_senders(text, telegram_bot=telegram_channel.application.bot,
    zalo_api=zalo_channel.api)`. The channels start and stop those clients themselves, so
    the broadcaster must run while they do (after them in the server's lifespan)."""
    senders: dict[str, Sender] = {}
    if telegram_bot is not None:
        senders["telegram"] = TelegramSender(telegram_bot, text)
    if zalo_api is not None:
        senders["zalo"] = ZaloSender(zalo_api, text)
    return senders


@contextlib.asynccontextmanager
async def own_senders(settings: Settings, store: Store,
                      text: Text) -> AsyncIterator[dict[str, Sender]]:
    """Senders of their own for the channels the environment configures (TELEGRAM_BOT_TOKEN;
    ZALO_APP_ID with its tokens), started for the block and closed after it."""
    senders: dict[str, TelegramSender | ZaloSender] = {}
    connections = max(8, settings.broadcast_in_flight)
    if settings.telegram_bot_token:
        senders["telegram"] = TelegramSender.own(settings, text, connections)
    if settings.zalo_app_id:
        senders["zalo"] = ZaloSender.own(settings, store, text, connections)
    try:
        for sender in senders.values():
            await sender.start()
        yield dict(senders)
    finally:
        for sender in senders.values():
            await sender.stop()


def _never_sent(error: NetworkError) -> bool:
    """Whether the request failed before any of it reached Telegram (no connection made)."""
    import aiohttp

    cause = error.__cause__
    return isinstance(cause, aiohttp.ClientConnectorError | httpx.ConnectError
                      | httpx.ConnectTimeout | httpx.PoolTimeout)


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _preview(message: TelegramMessage) -> LinkPreviewOptions:
    if message.image_url:
        # The image above the text, as large as Telegram shows one.
        return LinkPreviewOptions(url=message.image_url, prefer_large_media=True,
                                  show_above_text=True)
    if message.link:
        return LinkPreviewOptions(url=message.link)
    return LinkPreviewOptions(is_disabled=True)
