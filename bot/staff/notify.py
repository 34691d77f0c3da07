"""The staff Telegram group is told of each new petition, and once a day of the overdue ones.

Set STAFF_TELEGRAM_CHAT_ID to the group's chat id (add the bot to the group, send a message,
and read the id from getUpdates: it is negative, like -1001234567890) and STAFF_BASE_URL to
the address officers open the staff pages at, for the "open" buttons. The bot must be running
with TELEGRAM_BOT_TOKEN.

    notifier = StaffNotifier(store, settings, texts, post=telegram.post_to_staff_group)
    await notifier.announce_new()     # each petition not yet told, oldest first
    await notifier.digest_if_due()    # once a day, from STAFF_DIGEST_HOUR (Vietnam time)

The group sees the code, the channel, the first words of the petition and its due date; not
the citizen's name, phone or e-mail, which stay on the staff pages. A petition is marked as
told only once the group has it, so nothing is lost while Telegram is unreachable: it is
posted at the next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.config import Settings
from bot.staff.petitions import shortened
from bot.staff.site import vn_date
from bot.storage import Store
from bot.vocabulary import CHANNELS, VIETNAM

log = logging.getLogger(__name__)

DIGEST_LINES = 15
ROUND_SECONDS = 30
BATCH = 20
LAST_DIGEST = "staff_digest_last_day"


@dataclass(frozen=True)
class GroupPost:
    text: str
    button_label: str | None = None
    button_url: str | None = None


# Posts to the staff group; True when Telegram took it.
Post = Callable[[GroupPost], Awaitable[bool]]


class StaffNotifier:
    def __init__(self, store: Store, settings: Settings, text: Callable[..., str], post: Post,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.settings = settings
        self.text = text
        self.post = post
        self.clock = clock

    async def announce_new(self) -> int:
        """Posts the petitions the group has not been told of; how many were posted."""
        rows = self.store.petitions_not_told_to_staff(BATCH)
        posted = 0
        for row in rows:
            message = GroupPost(
                self.text("staff.notify.new", code=row["code"],
                          channel=CHANNELS.label(row["channel"]),
                          summary=_summary(row["content"]), due=_vn_date(row["due_date"])),
                *self._button("staff.notify.open", f"/staff/petitions/{row['code']}"))
            if not await self.post(message):
                break  # Telegram is not taking posts now: the rest wait for the next round
            self.store.mark_told_to_staff(row["id"], self._now())
            posted += 1
        return posted

    async def digest_if_due(self) -> bool:
        """Posts the overdue petitions once a day, from the digest hour; True if posted."""
        now = self._now().astimezone(VIETNAM)
        today = now.date().isoformat()
        if now.hour < self.settings.staff_digest_hour or self._last_digest() == today:
            return False
        overdue = self.store.overdue_petitions(today)
        if overdue:
            lines = [self.text("staff.digest.title", count=len(overdue))]
            lines += [self.text("staff.digest.line", code=row["code"],
                                due=_vn_date(row["due_date"]), summary=_summary(row["content"]))
                      for row in overdue[:DIGEST_LINES]]
            if len(overdue) > DIGEST_LINES:
                lines.append(self.text("staff.digest.more", count=len(overdue) - DIGEST_LINES))
            message = GroupPost("\n".join(lines), *self._button(
                "staff.digest.open", "/staff/petitions?due=overdue"))
            if not await self.post(message):
                return False
        self.store.set_app_state(LAST_DIGEST, today, self._now())
        return bool(overdue)

    async def run(self, every: float = ROUND_SECONDS) -> None:
        """Rounds until cancelled; a failing round is logged and the next one tries again."""
        while True:
            try:
                await self.announce_new()
                await self.digest_if_due()
            except Exception:
                log.exception("telling the staff group failed; trying again in %s s", every)
            await asyncio.sleep(every)

    def _button(self, label_key: str, path: str) -> tuple[str | None, str | None]:
        base = self.settings.staff_base_url
        return (self.text(label_key), f"{base}{path}") if base else (None, None)

    def _last_digest(self) -> str | None:
        return self.store.app_state(LAST_DIGEST)

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)


def _summary(content: str) -> str:
    return shortened(" ".join(content.split()))


def _vn_date(iso_day: str) -> str:
    return vn_date(date.fromisoformat(iso_day))
