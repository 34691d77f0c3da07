"""The whole server, built in one place from the settings: the dialogue over the knowledge and
the database, the chat channels (web, Telegram, Zalo), the staff side, and the Starlette app
that serves them.

    python -m bot serve                      # what this module builds, under uvicorn
    uvicorn --factory bot.server:app_from_environment   # one worker, database from BOT_DB

or from Python:

    dialogue = build_dialogue(Path("var/bot.db"))
    app = served_app(dialogue, dialogue.settings)

Each part is handed what it needs; no part reaches into another for its services. The
channels under bot/channels/ know nothing of each other or of this module.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.broadcast.announcements import Announcements
from bot.broadcast.delivery import Broadcaster, broadcasting
from bot.broadcast.senders import channel_senders
from bot.channel_plan import plan_channels
from bot.channels.telegram import TelegramChannel, telegram_routes, telegram_running
from bot.channels.web import FRAME_ANCESTORS, STATIC_DIR, Handles, SecurityHeaders, web_routes
from bot.channels.zalo import ZaloChannel, zalo_routes
from bot.citizen_messages import CitizenMessenger
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Reply
from bot.staff.announcement_pages import announcement_routes
from bot.staff.app import StaffSide, background, staff_mount
from bot.staff.notify import GroupPost, StaffNotifier
from bot.staff.petition_pages import petition_routes
from bot.staff.petitions import PetitionDesk
from bot.staff.report_pages import report_routes
from bot.staff.review_pages import review_routes
from bot.staff.site import StaffSite
from bot.storage import Store
from bot.working_days import default_calendar
from knowledge.base import Knowledge

log = logging.getLogger(__name__)

# How often old messages are purged while the server runs (and once at start).
PURGE_EVERY_SECONDS = 6 * 3600

Running = Callable[[], AbstractAsyncContextManager]


def build_dialogue(db_path: Path, settings: Settings | None = None) -> Dialogue:
    """The dialogue over the committed knowledge, keeping its state in the SQLite file.

    The settings come from the environment (bot.config) unless given; `db_path` wins over
    BOT_DB. Raises knowledge.handkept.KnowledgeError when the knowledge files are invalid
    (before the database is touched) and ValueError naming a malformed environment variable.
    """
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


def served_app(dialogue: Dialogue, settings: Settings,
               environ: Mapping[str, str] = os.environ) -> Starlette:
    """What `bot serve` serves: the web chat, the staff pages under /staff, and the chat apps
    the environment configures (bot/channel_plan.py)."""
    channels = build_channels(dialogue, settings, environ)
    messenger = CitizenMessenger(dialogue.store, channels.senders)
    staff = build_staff_side(dialogue, settings, messenger, channels)
    return create_app(dialogue, extra_routes=[*channels.routes, staff.mount],
                      running=[*channels.running, *staff.running],
                      pending_messages=messenger.pending_for_web)


def create_app(dialogue: Handles, *, static_dir: Path = STATIC_DIR,
               frame_ancestors: str = FRAME_ANCESTORS, threadpool: bool = False,
               extra_routes: Sequence[BaseRoute] = (), running: Sequence[Running] = (),
               pending_messages: Callable[[str], list[Reply]] | None = None) -> Starlette:
    """The Starlette app: the web chat over `dialogue`, then `extra_routes`; `running` are
    entered while the server runs (the chat apps, the staff side's background work).

    `pending_messages(user)` gives the messages the bot started to a web citizen; by default
    those of the dialogue's store, if it has one.
    """
    if pending_messages is None:
        store = getattr(dialogue, "store", None)
        pending_messages = (CitizenMessenger(store).pending_for_web if store is not None
                            else (lambda user: []))
    routes, chat = web_routes(dialogue, pending_messages, static_dir=static_dir,
                              threadpool=threadpool)
    app = Starlette(routes=[*routes, *extra_routes],
                    lifespan=_lifespan(getattr(dialogue, "purge_expired", None), running))
    app.state.user_locks = chat.locks
    app.add_middleware(SecurityHeaders, frame_ancestors=frame_ancestors)
    return app


@dataclass
class Channels:
    """The configured chat apps besides the web chat, ready to mount and run."""

    routes: list[BaseRoute] = field(default_factory=list)
    running: list[Running] = field(default_factory=list)
    # channel name -> `async send(user_id, replies) -> bool`, for messages the bot starts.
    senders: dict = field(default_factory=dict)
    telegram: TelegramChannel | None = None
    zalo: ZaloChannel | None = None


def build_channels(dialogue: Dialogue, settings: Settings,
                   environ: Mapping[str, str] = os.environ) -> Channels:
    """The chat apps the environment configures (see bot/channel_plan.py)."""
    plan = plan_channels(settings, 1, environ)
    channels = Channels()
    if plan.telegram:
        telegram = TelegramChannel(dialogue, settings, webhook_url=plan.telegram_webhook_url,
                                   secret_token=plan.telegram_secret)
        channels.routes += telegram_routes(telegram)
        channels.running.append(lambda: telegram_running(telegram))
        channels.senders["telegram"] = telegram.send_replies
        channels.telegram = telegram
    if plan.zalo:
        zalo = ZaloChannel(dialogue, settings)
        channels.routes += zalo_routes(zalo)
        channels.running.append(lambda: _started(zalo))
        channels.senders["zalo"] = zalo.send_replies
        channels.zalo = zalo
    return channels


def build_staff_side(dialogue: Dialogue, settings: Settings, messenger: CitizenMessenger,
                     channels: Channels) -> StaffSide:
    """The staff pages, the staff group's notices and the sending of announcements."""
    store, text = dialogue.store, dialogue.knowledge.handkept.text
    site = StaffSite(store, settings)
    desk = PetitionDesk(store, dialogue.knowledge, messenger, default_calendar(),
                        clock=site.clock)
    news_topics = [(topic.id, topic.label["vi"]) for topic in dialogue.topics.news]
    board = Announcements(store, requires_approval=settings.broadcast_requires_approval,
                          news_topics=[topic_id for topic_id, _ in news_topics])
    side = StaffSide(staff_mount(
        site, partial(petition_routes, desk=desk),
        partial(announcement_routes, board=board, news_topics=news_topics, text=text),
        # The review pages read the knowledge through the dialogue: it holds the knowledge as
        # the officers' overrides change it, from the next message on.
        report_routes, partial(review_routes, dialogue=dialogue)))
    telegram = channels.telegram
    if settings.staff_telegram_chat_id and telegram is not None:
        async def post(message: GroupPost) -> bool:
            return await telegram.post_to_group(settings.staff_telegram_chat_id,
                                                message.text, message.button_label,
                                                message.button_url)

        notifier = StaffNotifier(store, settings, text, post)
        side.running.append(lambda: background(notifier.run()))
    senders = channel_senders(
        text, telegram_bot=telegram.application.bot if telegram else None,
        zalo_api=channels.zalo.api if channels.zalo else None)
    if senders:
        # Started after the channels (their clients carry the messages) and stopped before.
        broadcaster = Broadcaster(store, board, senders, settings)
        side.running.append(lambda: broadcasting(broadcaster))
    return side


def _lifespan(purge: Callable[[], int] | None, running: Sequence[Running]):
    """Runs the chat apps (Telegram, Zalo) and the staff side's work while the server runs,
    and purges messages past their retention period, if the dialogue can."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as parts:
            for start in running:
                await parts.enter_async_context(start())
            if purge is not None:
                await parts.enter_async_context(background(_purging(purge)))
            yield

    return lifespan


async def _purging(purge: Callable[[], int]) -> None:
    while True:
        removed = purge()
        if removed:
            log.info("purged %d messages past their retention period", removed)
        await asyncio.sleep(PURGE_EVERY_SECONDS)


@asynccontextmanager
async def _started(channel: ZaloChannel) -> AsyncIterator[ZaloChannel]:
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()
