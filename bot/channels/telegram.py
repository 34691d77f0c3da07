"""The Telegram channel: citizens chat with the bot in Telegram, through python-telegram-bot.

`bot serve` runs it beside the web chat (bot/server.py), polling Telegram for updates when no
webhook address is set (a test bot, or a server that cannot receive webhooks):

    TELEGRAM_BOT_TOKEN=123456:ABC... python -m bot serve

With TELEGRAM_WEBHOOK_URL it receives webhooks instead, the way PTB's
examples/customwebhookbot/starlettebot.py runs a Starlette app beside an Application:

    channel = TelegramChannel(dialogue, settings,
                              webhook_url="https://bot.example.gov.vn/webhooks/telegram")
    app = Starlette(routes=[*routes, *telegram_routes(channel)],
                    lifespan=lambda app: telegram_running(channel))

What reaches the dialogue (bot/dialogue.py) is an Incoming: text messages as text, button
presses as their payload, commands as what the dialogue already understands (see
telegram_updates.COMMANDS), photos and documents as attachments with their caption as text.
Replies go back as plain text (never a parse_mode: a citizen's words are never markup), split
to fit Telegram's 4096 characters, with buttons as an inline keyboard; a turn's short
replies share a message (telegram_render).

Bot API errors: 429 Too Many Requests is waited out and retried by PTB's AIORateLimiter; 403
(the citizen blocked the bot) marks them unreachable in the store and stops sending to them;
400 and network errors are logged. Polling loses nothing on a network error: PTB asks
getUpdates again from the same offset.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_render import CallbackPayloads, render_replies, split_text
from bot.channels.telegram_updates import (
    CHANNEL,
    COMMANDS,
    attachments_of,
    bot_commands,
    command_name,
    incoming_for_command,
    incoming_for_other,
)
from bot.config import Settings
from bot.http_body import read_limited
from bot.messages import Incoming, Reply
from bot.user_locks import UserLocks

if TYPE_CHECKING:
    from bot.storage import Store

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and Telegram's URLs contain the bot token.
logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Telegram's updates are a few kilobytes; anything this large is not one.
MAX_UPDATE_BYTES = 1024 * 1024
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# Photos of an album arrive as separate updates within a moment; they are taken together.
ALBUM_WAIT_SECONDS = 1.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
CONCURRENT_UPDATES = 8
_SECRET_TOKEN_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class Converses(Protocol):
    """What the channel needs of bot.dialogue.Dialogue."""

    store: Store

    def handle(self, incoming: Incoming) -> list[Reply]: ...


class TelegramSetupError(Exception):
    """The channel cannot start; the message says which setting to fix (no traceback needed)."""


@dataclass
class _Album:
    user: str
    caption: str | None = None
    attachments: list[dict] = field(default_factory=list)


class TelegramChannel:
    """One Telegram bot, serving citizens through `dialogue`.

    Polling mode (no webhook_url) asks Telegram for updates; webhook mode registers
    `webhook_url` with Telegram and takes updates from process_webhook(). In webhook mode
    a secret token is always used: `secret_token`, or a random one made here.
    """

    def __init__(self, dialogue: Converses, settings: Settings, *,
                 webhook_url: str | None = None, secret_token: str | None = None,
                 rate_limiter: BaseRateLimiter | None = None,
                 concurrent_updates: int = CONCURRENT_UPDATES,
                 connection_pool_size: int = CONCURRENT_UPDATES) -> None:
        self.dialogue = dialogue
        self.settings = settings
        self.webhook_url = webhook_url
        if secret_token is not None and not _valid_secret_token(secret_token):
            raise TelegramSetupError(
                "the Telegram webhook secret token must be 1 to 256 characters A-Z, a-z, 0-9, "
                '"_" or "-"')
        self.secret_token = secret_token or (secrets.token_urlsafe(32) if webhook_url else None)
        self.payloads = CallbackPayloads()
        self._chat_locks = UserLocks()
        self._albums: dict[tuple[int, str], _Album] = {}
        self._running = False
        self._application = self._build(settings.telegram_bot_token, rate_limiter,
                                        concurrent_updates, connection_pool_size)

    @property
    def application(self) -> Application:
        if self._application is None:
            raise TelegramSetupError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram and "
                "set TELEGRAM_BOT_TOKEN to the token it gives (like 123456789:AAF...)")
        return self._application

    @property
    def running(self) -> bool:
        return self._running

    # --- set-up ---------------------------------------------------------------------------

    def _build(self, token: str | None, rate_limiter: BaseRateLimiter | None,
               concurrent_updates: int, connection_pool_size: int) -> Application | None:
        if not token:
            return None
        base = self.settings.telegram_api_base_url
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
            # Updates from different chats are handled side by side; one chat's updates are
            # still handled in order (see _converse).
            .concurrent_updates(concurrent_updates)
            # aiohttp instead of PTB's default httpx: a third of the CPU per Bot API call
            # (see telegram_http).
            .request(AiohttpRequest(connection_pool_size))
            .get_updates_request(AiohttpRequest(1))
        )
        if self.webhook_url:
            builder = builder.updater(None)
        application = builder.build()
        self._add_handlers(application)
        return application

    def _add_handlers(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler([command.name for command in COMMANDS],
                                               self._on_command, filters=private))
        application.add_handler(MessageHandler(private & (filters.PHOTO | filters.Document.ALL),
                                               self._on_file))
        application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND,
                                               self._on_text))
        # Unknown commands, shared contacts, stickers, voice notes...
        application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE,
                                               self._on_other))
        application.add_handler(CallbackQueryHandler(self._on_button))
        application.add_handler(ChatMemberHandler(self._on_membership,
                                                  ChatMemberHandler.MY_CHAT_MEMBER))
        application.add_error_handler(self._on_error)

    async def start(self) -> None:
        """Checks the token, registers the commands, then polls or sets the webhook.

        Raises TelegramSetupError naming the setting to fix: TELEGRAM_BOT_TOKEN (missing or
        rejected), TELEGRAM_API_BASE_URL (unreachable) or the webhook URL (refused).
        """
        application = self.application
        base = self.settings.telegram_api_base_url
        try:
            await application.initialize()  # calls getMe: the token is checked here
        except InvalidToken:
            await application.bot.shutdown()
            raise TelegramSetupError(
                "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token again "
                "from @BotFather in Telegram") from None
        except TelegramError as error:
            await application.bot.shutdown()
            raise TelegramSetupError(
                f"cannot reach the Telegram Bot API at {base} (TELEGRAM_API_BASE_URL): "
                f"{error.message}") from None
        try:
            await application.bot.set_my_commands(
                bot_commands(self.dialogue.knowledge.handkept.text))
            if self.webhook_url:
                await application.bot.set_webhook(
                    self.webhook_url, secret_token=self.secret_token,
                    allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
            await application.start()
            if application.updater is not None:
                await application.updater.start_polling(
                    drop_pending_updates=False, allowed_updates=ALLOWED_UPDATES,
                    error_callback=_log_polling_error)
        except TelegramError as error:
            await self._close(application)
            where = f"the webhook URL {self.webhook_url}" if self.webhook_url else base
            raise TelegramSetupError(
                f"Telegram refused to set up the bot ({where}): {error.message}") from None
        self._running = True
        me = application.bot.bot
        log.info("Telegram bot @%s is %s", me.username,
                 f"receiving webhooks at {self.webhook_url}" if self.webhook_url else "polling")

    async def stop(self) -> None:
        """Stops taking updates, finishes those under way, and closes the connections.

        A webhook stays registered: Telegram keeps the updates that come meanwhile (up to a
        day) and delivers them when the server is back."""
        if self._application is None:
            return
        self._running = False
        await self._close(self._application)

    @staticmethod
    async def _close(application: Application) -> None:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()

    # --- webhooks -------------------------------------------------------------------------

    async def process_webhook(self, headers: Mapping[str, str], body: bytes) -> int:
        """Takes one webhook request from Telegram; returns the HTTP status to answer.

        403 if the secret token header does not match, 503 if the channel is not running,
        400 if the body is not an Update, else 200 once the update is queued for handling
        (answering at once, as PTB's own webhook server does, so that Telegram never sends an
        update twice because the bot was slow).
        """
        given = next((value for name, value in headers.items()
                      if name.lower() == SECRET_HEADER), None)
        if self.secret_token is None or given is None or not hmac.compare_digest(
                given.encode(), self.secret_token.encode()):
            return 403
        if not self._running:
            return 503
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not a JSON object with an integer update_id")
            update = Update.de_json(data, self.application.bot)
        # Arbitrary JSON can break de_json in many ways (KeyError, TypeError, AttributeError...).
        except Exception as error:
            log.warning("a Telegram webhook body was not an Update: %s", error)
            return 400
        await self.application.update_queue.put(update)
        return 200

    # --- handlers -------------------------------------------------------------------------

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        await self._converse(message.chat_id, Incoming(CHANNEL, str(user.id), text=message.text))

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        incoming = incoming_for_command(command_name(message), list(context.args or []),
                                        str(user.id))
        await self._converse(message.chat_id, incoming)

    async def _on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        attachments = attachments_of(message)
        if message.media_group_id:
            self._collect_album(message.chat_id, str(user.id), message.media_group_id,
                                message.caption, attachments)
            return
        await self._converse(message.chat_id, Incoming(
            CHANNEL, str(user.id), text=message.caption, extras={"attachments": attachments}))

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        await self._converse(message.chat_id, incoming_for_other(message, str(user.id)))

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        chat = update.effective_chat
        if query.data is None or (chat is not None and chat.type != ChatType.PRIVATE):
            await _answer_quietly(query.answer)
            return
        chat_id = chat.id if chat is not None else query.from_user.id
        incoming = Incoming(CHANNEL, str(query.from_user.id),
                            button=self.payloads.unpack(query.data))
        # Answered first so that the button stops spinning on the phone at once.
        await self._converse(chat_id, incoming, before=lambda: _answer_quietly(query.answer))

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        blocked = change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
        self.dialogue.store.mark_unreachable(CHANNEL, str(change.from_user.id), blocked)
        log.info("Telegram user %s %s the bot", change.from_user.id,
                 "blocked" if blocked else "unblocked")

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            log.warning("Telegram network problem: %s", error)
            return
        log.error("error while handling a Telegram update", exc_info=error)

    # --- conversation ---------------------------------------------------------------------

    async def _converse(self, chat_id: int, incoming: Incoming,
                        before: Callable[[], Awaitable[None]] | None = None) -> None:
        """One turn of the dialogue, its replies sent; one chat's turns strictly in order."""
        async with self._chat_locks.hold(str(chat_id)):
            if before is not None:
                await before()
            # On the event loop, as the web chat does: a turn is milliseconds of CPU and SQLite.
            replies = self.dialogue.handle(incoming)
            await self._deliver(chat_id, incoming.user, replies)

    async def send_replies(self, user_id: str, replies: list[Reply]) -> bool:
        """Sends replies to a citizen who wrote to the bot before (e.g. news, a petition's
        answer); False if they blocked the bot or Telegram would not take them."""
        async with self._chat_locks.hold(user_id):
            return await self._deliver(int(user_id), user_id, replies)

    async def post_to_group(self, chat_id: str, text: str, button_label: str | None = None,
                            button_url: str | None = None) -> bool:
        """A message to a group (the staff's), with an optional link button; False if
        Telegram would not take it (the reason is logged)."""
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(button_label, url=button_url)]]) \
            if button_label and button_url else None
        try:
            for part in split_text(text):
                await self.application.bot.send_message(
                    chat_id, part, reply_markup=markup, link_preview_options=NO_PREVIEW)
        except TelegramError as error:
            log.warning("could not post to the Telegram group %s: %s", chat_id, error.message)
            return False
        return True

    async def _deliver(self, chat_id: int, user_id: str, replies: list[Reply]) -> bool:
        bot = self.application.bot
        delivered = True
        for message in render_replies(replies, self.payloads):
            try:
                await bot.send_message(chat_id, message.text,
                                       reply_markup=message.reply_markup,
                                       link_preview_options=NO_PREVIEW)
            except Forbidden as error:
                log.info("Telegram user %s cannot be reached (%s); marked unreachable",
                         user_id, error.message)
                self.dialogue.store.mark_unreachable(CHANNEL, user_id)
                return False
            except BadRequest as error:
                log.warning("Telegram refused a message to chat %s: %s", chat_id,
                            error.message)
                delivered = False
            except (TimedOut, NetworkError) as error:
                # Not sent again: after a time-out the message may well have arrived.
                log.warning("could not send a message to chat %s: %s", chat_id,
                            error.message)
                delivered = False
            except RetryAfter as error:
                log.error("Telegram still rate-limits chat %s after retries (%s); the rest "
                          "of this answer is not sent", chat_id, error.message)
                return False
        return delivered

    def _collect_album(self, chat_id: int, user: str, group: str, caption: str | None,
                       attachments: list[dict]) -> None:
        key = (chat_id, group)
        album = self._albums.get(key)
        if album is None:
            album = self._albums[key] = _Album(user)
            self.application.create_task(self._finish_album(chat_id, key),
                                         name=f"telegram-album-{group}")
        album.caption = album.caption or caption
        album.attachments.extend(attachments)

    async def _finish_album(self, chat_id: int, key: tuple[int, str]) -> None:
        await asyncio.sleep(ALBUM_WAIT_SECONDS)
        album = self._albums.pop(key)
        await self._converse(chat_id, Incoming(CHANNEL, album.user, text=album.caption,
                                               extras={"attachments": album.attachments}))


async def _answer_quietly(answer: Callable[[], Awaitable[bool]]) -> None:
    try:
        await answer()
    except TelegramError as error:  # e.g. "query is too old": the press is still handled
        log.info("could not answer a Telegram button press: %s", error.message)


def _log_polling_error(error: TelegramError) -> None:
    # PTB asks again from the same offset, so nothing is lost; no traceback needed.
    log.warning("getUpdates failed, trying again: %s", error.message)


def _valid_secret_token(token: str) -> bool:
    return 1 <= len(token) <= 256 and set(token) <= _SECRET_TOKEN_CHARS


# --- for the web server ---------------------------------------------------------------------


def telegram_routes(channel: TelegramChannel) -> list[Route]:
    """POST /webhooks/telegram, to mount beside the web chat's routes."""

    async def webhook(request: Request) -> Response:
        body = await read_limited(request, MAX_UPDATE_BYTES)
        if body is None:
            return Response(status_code=413)
        status = await channel.process_webhook(request.headers, body)
        return Response(status_code=status)

    return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]


@asynccontextmanager
async def telegram_running(channel: TelegramChannel) -> AsyncIterator[TelegramChannel]:
    """Starts the channel for the duration of the block (e.g. a Starlette lifespan)."""
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


async def run_telegram(channel: TelegramChannel, until: asyncio.Event | None = None) -> None:
    """Runs the channel until `until` is set or the task is cancelled, then stops it."""
    async with telegram_running(channel):
        await (until or asyncio.Event()).wait()
