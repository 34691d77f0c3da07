"""`python -m bot broadcast ...`: announcements to subscribers, from the command line.

Examples:
    python -m bot broadcast create "Nộp hồ sơ đất đai trực tuyến từ 01/7" \\
        --text-file tin.txt --link https://dichvucong.gov.vn/... --topic cchc \\
        --topic dat-dai-xay-dung --channel telegram --channel zalo --by hoa.tran
    python -m bot broadcast create "Lịch tiếp công dân" "Từ tuần sau..." --topic cchc \\
        --at "2026-07-01 08:00" --by hoa.tran          # submitted at once, for 08:00
    python -m bot broadcast submit 3 --by hoa.tran [--at "2026-07-01 08:00"]
    python -m bot broadcast approve 3 --by lan.nguyen  # a second officer, when required
    python -m bot broadcast preview 3
    python -m bot broadcast list
    python -m bot broadcast status [3]
    python -m bot broadcast cancel 3
    python -m bot broadcast run [--until-done]         # send what is due, as the server does

Times are Vietnam time. `run` sends over the channels the environment configures
(TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL; ZALO_APP_ID and its tokens), at
BROADCAST_TELEGRAM_RATE and BROADCAST_ZALO_RATE messages a second; `bot serve` does the same
by itself, and only one of them sends at a time (they share a lock beside the database).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click
import yaml

from bot.broadcast.announcements import (
    CHANNELS,
    STATUS_LABELS,
    Announcement,
    AnnouncementError,
    Announcements,
)
from bot.config import Settings
from bot.storage import Store
from bot.vocabulary import VIETNAM

DB_OPTION = click.option("--db", envvar="BOT_DB", type=click.Path(dir_okay=False,
                         path_type=Path), default=Path("var/bot.db"), show_default=True,
                         show_envvar=True, help="The SQLite database.")
AT_FORMAT = "%Y-%m-%d %H:%M"
DELIVERY_ORDER = ("sent", "pending", "sending", "held", "failed", "blocked")


class _VietnamTime(click.ParamType):
    name = "YYYY-MM-DD HH:MM"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.strptime(value.strip(), AT_FORMAT).replace(tzinfo=VIETNAM)
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-07-01 08:00 (Vietnam time)", param,
                      ctx)


AT_OPTION = click.option("--at", "send_at", type=_VietnamTime(), default=None,
                         help="When to send, Vietnam time (default: as soon as allowed).")


def _settings(db: Path) -> Settings:
    try:
        return replace(Settings.from_env(), db_path=db)
    except ValueError as error:  # a malformed setting, named
        raise click.ClickException(str(error)) from error


def _board(db: Path) -> Announcements:
    settings = _settings(db)
    return Announcements(Store(db), requires_approval=settings.broadcast_requires_approval,
                         news_topics=[topic for topic, _ in news_topics()])


def news_topics() -> list[tuple[str, str]]:
    """(id, Vietnamese label) of the news topics in knowledge/yaml/topics.yaml."""
    from knowledge.handkept.schema import SAFE_LOADER
    from knowledge.handkept.topics import TOPICS_PATH

    data = yaml.load(TOPICS_PATH.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    return [(entry["id"], entry["label"]["vi"]) for entry in data["news"]]


def _texts():
    from knowledge.handkept.model import KnowledgeError, load_handkept

    try:
        return load_handkept().text
    except KnowledgeError as error:
        raise click.ClickException(f"the knowledge files are invalid:\n{error}") from error


def _changing(action):
    try:
        return action()
    except AnnouncementError as error:
        raise click.ClickException(str(error)) from error


def _state(announcement: Announcement) -> str:
    label = f"{announcement.status} ({STATUS_LABELS[announcement.status]})"
    if announcement.status in ("scheduled", "awaiting_approval") and announcement.send_at:
        label += f", for {_local(announcement.send_at)}"
    return label


def _local(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime(AT_FORMAT) if moment else "-"


@click.group()
def broadcast() -> None:
    """Administrative-reform news to the citizens who subscribed (Telegram, Zalo)."""


@broadcast.command()
@click.argument("title")
@click.argument("text", required=False)
@click.option("--text-file", type=click.File(encoding="utf-8"),
              help="Read the text from this file (UTF-8) instead.")
@click.option("--link", help="A link to read more (https://...).")
@click.option("--image", help="An image to show (https://...).")
@click.option("--topic", "topics", multiple=True, required=True,
              help="A news topic (repeat for several): " + ", ".join(
                  topic for topic, _ in news_topics()))
@click.option("--channel", "channels", multiple=True, type=click.Choice(CHANNELS),
              help="A channel (repeat for both; default: both).")
@AT_OPTION
@click.option("--submit", is_flag=True, help="Submit it at once (implied by --at).")
@click.option("--by", "officer", required=True, help="The officer writing it.")
@DB_OPTION
def create(title: str, text: str | None, text_file, link: str | None, image: str | None,
           topics: tuple[str, ...], channels: tuple[str, ...], send_at: datetime | None,
           submit: bool, officer: str, db: Path) -> None:
    """Write an announcement (a draft; with --submit or --at, also submitted).

    Example: python -m bot broadcast create "Lịch tiếp công dân" "Từ tuần sau..." --topic cchc
    --by hoa.tran
    """
    if (text is None) == (text_file is None):
        raise click.UsageError("give the TEXT or --text-file, one of them")
    body = text if text is not None else text_file.read()
    board = _board(db)
    announcement = _changing(lambda: board.create(
        title=title, body=body, topics=topics, channels=channels or CHANNELS, link=link,
        image_url=image, created_by=officer))
    if submit or send_at is not None:
        announcement = _changing(lambda: board.submit(announcement.id, by=officer,
                                                      send_at=send_at))
    click.echo(f"announcement {announcement.id}: {_state(announcement)}")


@broadcast.command()
@click.argument("announcement_id", type=int)
@click.option("--by", "officer", required=True, help="The officer submitting it.")
@AT_OPTION
@DB_OPTION
def submit(announcement_id: int, officer: str, send_at: datetime | None, db: Path) -> None:
    """Ask for a draft to be sent (scheduled, or awaiting approval when the agency requires
    it: BROADCAST_REQUIRES_APPROVAL=1)."""
    board = _board(db)
    announcement = _changing(lambda: board.submit(announcement_id, by=officer,
                                                  send_at=send_at))
    click.echo(f"announcement {announcement.id}: {_state(announcement)}")


@broadcast.command()
@click.argument("announcement_id", type=int)
@click.option("--by", "officer", required=True,
              help="The approving officer (not the one who wrote it).")
@DB_OPTION
def approve(announcement_id: int, officer: str, db: Path) -> None:
    """Approve an announcement awaiting approval: it is then sent at its time."""
    board = _board(db)
    announcement = _changing(lambda: board.approve(announcement_id, by=officer))
    click.echo(f"announcement {announcement.id}: {_state(announcement)}")


@broadcast.command()
@click.argument("announcement_id", type=int)
@DB_OPTION
def cancel(announcement_id: int, db: Path) -> None:
    """Cancel an announcement not yet being sent."""
    board = _board(db)
    announcement = _changing(lambda: board.cancel(announcement_id))
    click.echo(f"announcement {announcement.id}: {_state(announcement)}")


@broadcast.command(name="list")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@DB_OPTION
def list_announcements(limit: int, db: Path) -> None:
    """The latest announcements, newest first."""
    board = _board(db)
    for announcement in board.recent(limit=limit):
        progress = board.progress(announcement.id)
        counts = ", ".join(f"{status} {progress.count(status):,}" for status in DELIVERY_ORDER
                           if progress.count(status))
        click.echo(f"{announcement.id}\t{_state(announcement)}\t{announcement.title}"
                   + (f"\t[{counts}]" if counts else ""))


@broadcast.command()
@click.argument("announcement_id", type=int)
@DB_OPTION
def preview(announcement_id: int, db: Path) -> None:
    """Show how the announcement looks on each of its channels."""
    from bot.broadcast.render import preview as previews

    announcement = _changing(lambda: _board(db).get(announcement_id))
    for channel, messages in previews(announcement, _texts()).items():
        click.echo(f"--- {channel} ---")
        for message in messages:
            if message.get("image_url"):
                click.echo(f"[{message['kind']}: {message['image_url']}]")
            click.echo(message["text"])
            for button in message["buttons"]:
                target = button.get("url") or button.get("payload")
                click.echo(f"  [{button['label']}] → {target}")
            for note in message.get("notes", []):
                click.echo(f"  ! {note}")
        click.echo()


@broadcast.command()
@click.argument("announcement_id", type=int, required=False)
@DB_OPTION
def status(announcement_id: int | None, db: Path) -> None:
    """How far the sending is: copies sent, pending, held back by a rule, failed and blocked,
    per channel, with the reasons (the latest announcements, or ANNOUNCEMENT_ID)."""
    board = _board(db)
    announcements = ([_changing(lambda: board.get(announcement_id))] if announcement_id
                     else [a for a in board.recent(limit=10)
                           if a.status not in ("draft", "cancelled")])
    if not announcements:
        click.echo("no announcement has been submitted yet")
    for announcement in announcements:
        progress = board.progress(announcement.id)
        click.echo(f"announcement {announcement.id}: {announcement.title}")
        click.echo(f"  status: {_state(announcement)}; started {_local(announcement.started_at)}"
                   f", finished {_local(announcement.finished_at)}")
        if not progress.total:
            audience = board.audience_size(announcement.topics, announcement.channels)
            click.echo("  audience now: " + (", ".join(
                f"{channel} {count:,}" for channel, count in audience.items()) or "nobody"))
            continue
        click.echo("  channel   " + "".join(f"{name:>9}" for name in DELIVERY_ORDER)
                   + "    total")
        for channel, counts in sorted(progress.by_channel.items()):
            click.echo(f"  {channel:<10}" + "".join(
                f"{counts.get(name, 0):>9,}" for name in DELIVERY_ORDER)
                + f"{sum(counts.values()):>9,}")
        for reason, count in progress.reasons.items():
            click.echo(f"  {count:>7,}  {reason}")


@broadcast.command()
@click.option("--until-done", is_flag=True,
              help="Exit when nothing is left to send (else run until stopped).")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=2.0, show_default=True,
              help="Seconds between looks for announcements that are due.")
@DB_OPTION
def run(until_done: bool, poll: float, db: Path) -> None:
    """Send the announcements that are due over the configured channels, at their rates.

    Copies left half-sent by a process that was stopped are sent again (at most
    BROADCAST_IN_FLIGHT per channel may then arrive twice). Ctrl+C or SIGTERM stop after the
    copies in hand.
    """
    from bot.broadcast.delivery import Broadcaster
    from bot.broadcast.senders import own_senders

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = _settings(db)
    board = _board(db)
    text = _texts()
    if not settings.telegram_bot_token and not settings.zalo_app_id:
        raise click.ClickException("no channel is configured: set TELEGRAM_BOT_TOKEN and/or "
                                   "ZALO_APP_ID (with its tokens)")

    async def sending() -> None:
        async with own_senders(settings, board.store, text) as senders:
            broadcaster = Broadcaster(board.store, board, senders, settings,
                                      poll_seconds=poll)
            loop = asyncio.get_running_loop()
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(stop_signal, broadcaster.stop)
            await broadcaster.run(until_done=until_done)

    try:
        asyncio.run(sending())
    except Exception as error:  # a wrong token, an unreachable API: one line, not a trace
        from telegram.error import TelegramError

        from bot.channels.zalo_api import ZaloSetupError

        if isinstance(error, TelegramError | ZaloSetupError | ValueError):
            raise click.ClickException(
                f"cannot send: {error} (check TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL and "
                "the ZALO_* settings)") from error
        raise
