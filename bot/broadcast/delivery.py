"""Delivery of announcements: the outbox in the database and the senders that empty it.

    broadcaster = Broadcaster(store, announcements, {"telegram": telegram_sender,
                                                     "zalo": zalo_sender}, settings)
    await broadcaster.run()                      # until cancelled; or run(until_done=True)

    async with broadcasting(broadcaster):        # e.g. in a Starlette lifespan
        ...

The outbox is `announcement_deliveries`, one row per subscriber, channel and announcement:
1. When an announcement's time comes, one transaction sets it 'sending' and inserts a
   'pending' row for every reachable subscriber of any of its topics on its channels: the
   audience is fixed then.
2. Each channel has a few workers (BROADCAST_IN_FLIGHT) sharing a token bucket at the
   channel's rate (BROADCAST_TELEGRAM_RATE, BROADCAST_ZALO_RATE). A worker claims a row by
   setting it 'sending' and commits, then sends, then records the outcome: 'sent', 'failed'
   (with the reason), 'blocked' (the citizen blocked the bot or unfollowed the OA: they are
   marked unreachable and left out of later audiences) or 'held' (a rule holds it back until
   `not_before`).
3. Exactly once: a copy is sent only after its row is committed as 'sending', and recorded
   'sent' as soon as the platform accepts it. A crash between the two leaves the row
   'sending'; on start-up such rows are sent again. So a crash or a kill can make a second copy
   only of the messages in flight at that moment — at most BROADCAST_IN_FLIGHT per channel —
   and never skips anyone. One broadcaster runs per database at a time (a lock file beside
   it), so two processes never send the same rows.
4. Rate limits: Telegram's 429 pauses the channel for its retry_after and the same copy is
   sent again (a 429 means Telegram did not take it). In `bot serve`, PTB's AIORateLimiter
   retries a 429 itself first; either way the copy is sent again only after Telegram refused
   it, so nothing is lost or doubled. A connection that could not be made is tried again
   after 1, 2 and 4 seconds, then the copy is 'failed'. A time-out or a connection lost
   mid-way is not tried again ('failed', saying so): the message may have arrived, and a
   second copy is what this outbox promises not to send.
5. Zalo's rules: news goes as promotion messages, which Zalo does not deliver from 22:00 to
   06:00 (Vietnam time): in those hours Zalo rows are 'held' until 06:00. With
   BROADCAST_ZALO_DAILY_QUOTA, or when Zalo answers "out of quota" (-211), the rest waits
   until the next morning. Users who do not follow the OA (-213) are 'blocked'; users Zalo
   will not take messages for (-230, -227...) are 'failed' and marked unreachable, so they
   are not tried again and again.
6. An announcement is 'sent' (finished_at) once none of its rows is pending, sending or held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.broadcast.announcements import Announcement, Announcements
from bot.config import Settings
from bot.storage import Store
from bot.vocabulary import VIETNAM

log = logging.getLogger(__name__)

# Held-back reasons, as the staff pages and `broadcast status` show them.
REASON_NIGHT = "22:00–06:00"
REASON_QUOTA = "hết hạn mức gửi trong ngày của OA"
REASON_UNREACHABLE = "đã chặn hoặc bỏ quan tâm trước khi đến lượt"
REASON_GONE = "công dân đã xóa dữ liệu"
REASON_CRASHED = "lỗi khi gửi"
ZALO_QUIET_HOURS = (22, 6)
NETWORK_PAUSES = (1.0, 2.0, 4.0)
# A copy refused this many times for the rate limit is given up (Telegram would have to keep
# refusing for minutes).
MAX_RATE_LIMITED = 20
POLL_SECONDS = 2.0
UNFINISHED = ("pending", "sending", "held")


@dataclass(frozen=True)
class Outcome:
    """What became of one send; the senders (bot/broadcast/senders.py) say it."""

    status: str  # sent | failed | blocked | held | retry
    reason: str | None = None
    # retry: wait this long, then send the same copy again; channel_wide: the whole channel
    # waits (a rate limit), else only this copy (a network error).
    pause: float = 0.0
    channel_wide: bool = False
    # held: "night" (until the quiet hours end) or "quota" (until the next day).
    rule: str | None = None
    # failed or blocked: leave the citizen out of later audiences.
    unreachable: bool = False

    @classmethod
    def sent(cls) -> Outcome:
        return cls("sent")

    @classmethod
    def failed(cls, reason: str, *, unreachable: bool = False) -> Outcome:
        return cls("failed", reason, unreachable=unreachable)

    @classmethod
    def blocked(cls, reason: str) -> Outcome:
        return cls("blocked", reason, unreachable=True)

    @classmethod
    def rate_limited(cls, seconds: float, reason: str) -> Outcome:
        return cls("retry", reason, pause=seconds, channel_wide=True)

    @classmethod
    def network_error(cls, reason: str) -> Outcome:
        return cls("retry", reason)

    @classmethod
    def held(cls, rule: str, reason: str) -> Outcome:
        return cls("held", reason, rule=rule)


class Sender(Protocol):
    """One channel's way of sending an announcement to one citizen."""

    async def send(self, user_id: str, announcement: Announcement) -> Outcome: ...


@dataclass(frozen=True)
class ChannelRules:
    rate: float  # messages a second
    in_flight: int = 4
    # (from hour, to hour), Vietnam time: nothing is sent then.
    quiet_hours: tuple[int, int] | None = None
    daily_quota: int = 0  # 0: no limit of ours


def rules_from(settings: Settings) -> dict[str, ChannelRules]:
    in_flight = settings.broadcast_in_flight
    return {"telegram": ChannelRules(settings.broadcast_telegram_rate, in_flight),
            "zalo": ChannelRules(settings.broadcast_zalo_rate, in_flight, ZALO_QUIET_HOURS,
                                 settings.broadcast_zalo_daily_quota)}


class TokenBucket:
    """At most `rate` takes a second on average, bursts of at most `burst`; pause() stops
    every take for a while (a platform's "retry after")."""

    def __init__(self, rate: float, burst: float | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = rate
        # A tenth of a second's worth: enough to make up for a late wake-up, never a flood.
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self.monotonic = monotonic
        self.sleep = sleep
        self._tokens = 1.0
        self._stamp = monotonic()
        self._resume_at = float("-inf")

    async def take(self) -> None:
        while True:
            now = self.monotonic()
            if now < self._resume_at:
                await self.sleep(self._resume_at - now)
                continue
            self._tokens = min(self.capacity,
                               self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            # (A hair under 1 counts: float sums of the refill may fall short by 1e-16.)
            if self._tokens >= 1 - 1e-9:
                self._tokens -= 1
                return
            await self.sleep((1 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        self._resume_at = max(self._resume_at, self.monotonic() + seconds)
        self._tokens = 0.0
        self._stamp = max(self._stamp, self._resume_at)


@dataclass(frozen=True)
class Claimed:
    announcement_id: int
    channel: str
    user_id: str


class Broadcaster:
    """Starts announcements when their time comes and sends their copies (see the module's
    docstring). `clock` is the wall clock (Vietnam's hours, the times stored); `monotonic` and
    `sleep` pace the sending."""

    def __init__(self, store: Store, announcements: Announcements,
                 senders: Mapping[str, Sender], settings: Settings | None = None, *,
                 rules: Mapping[str, ChannelRules] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.store = store
        self.announcements = announcements
        self.senders = dict(senders)
        self.rules = dict(rules) if rules is not None else rules_from(settings or Settings())
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.poll_seconds = poll_seconds
        self._buckets = {channel: TokenBucket(self.rules[channel].rate, monotonic=monotonic,
                                              sleep=sleep) for channel in self.senders}
        self._cache: dict[int, Announcement] = {}
        self._used_today: dict[str, tuple[str, int]] = {}
        self._closed: dict[str, tuple[datetime, str]] = {}
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._warned_unconfigured: set[tuple[int, str]] = set()

    # --- the outbox -----------------------------------------------------------------------

    def start_due(self) -> list[int]:
        """Starts every scheduled announcement whose time has come; their ids."""
        now = self.clock()
        started = [a.id for a in self.announcements.due(now)
                   if a.status == "scheduled" and self._start(a, now)]
        for announcement_id in started:
            log.info("announcement %s: sending to %s", announcement_id,
                     self.announcements.progress(announcement_id).by_channel)
        return started

    def _start(self, announcement: Announcement, now: datetime) -> bool:
        return self.store.start_sending(announcement.id, announcement.channels,
                                        announcement.topics, now)

    def resume(self) -> int:
        """Rows left 'sending' by a process that stopped mid-send go back to 'pending', to be
        sent again (their message may or may not have gone out). Call only while no other
        broadcaster runs on this database (run() holds the lock)."""
        count = self._each_sending(self.store.requeue_sending_copies)
        if count:
            log.warning("%d announcement copies were being sent when the broadcaster last "
                        "stopped; they are sent again (a few may arrive twice)", count)
        return count

    def release_held(self) -> int:
        """Held rows whose time has come are pending again."""
        count = self._each_sending(self.store.release_held_copies)
        if count:
            self._notify()
        return count

    def finish_done(self) -> list[int]:
        """Announcements with nothing left to send become 'sent'; their ids."""
        unfinished = {announcement_id for announcement_id, channel in self._sending()
                      if self._any(announcement_id, channel, UNFINISHED)}
        finished = []
        for announcement_id in {announcement_id for announcement_id, _ in self._sending()}:
            if announcement_id in unfinished:
                continue
            if self.store.finish_sending(announcement_id, self.clock()):
                finished.append(announcement_id)
                progress = self.announcements.progress(announcement_id)
                log.info("announcement %s sent: %s", announcement_id, progress.by_channel)
        return sorted(finished)

    def tick(self) -> None:
        """What the broadcaster does every few seconds besides sending: start what is due,
        release what was held, hold what a rule now holds back, finish what is done."""
        if self.start_due():
            self._notify()
        self.release_held()
        for channel in self.senders:
            self._closed_now(channel)
        self.finish_done()
        self._warn_unconfigured()

    def has_work(self) -> bool:
        """Whether anything is left to send on the configured channels (copies pending,
        sending or held, or an announcement due to start)."""
        if any(a.status == "scheduled" for a in self.announcements.due(self.clock())):
            return True
        return any(self._any(announcement_id, channel, UNFINISHED)
                   for announcement_id, channel in self._sending() if channel in self.senders)

    # --- the copies of the announcements being sent ---------------------------------------

    def _sending(self, channel: str | None = None) -> list[tuple[int, str]]:
        """(announcement id, channel) of the announcements being sent, oldest first."""
        return [(announcement_id, name)
                for announcement_id, channels in self.store.sending_announcements()
                for name in channels if channel is None or name == channel]

    def _any(self, announcement_id: int, channel: str, statuses: tuple[str, ...]) -> bool:
        return self.store.has_copies(announcement_id, channel, statuses)

    def _each_sending(self, change: Callable[..., int], *args: object,
                      channel: str | None = None) -> int:
        """`change(announcement_id, channel, *args, now)` over every announcement being sent
        (on `channel`); how many copies changed."""
        return sum(change(announcement_id, name, *args, self.clock())
                   for announcement_id, name in self._sending(channel))

    # --- the rules ------------------------------------------------------------------------

    def _closed_now(self, channel: str) -> tuple[datetime, str] | None:
        """(until when, why) if the channel may not send now; its pending rows are then
        held until that time."""
        now = self.clock()
        rules = self.rules[channel]
        closed = self._closed.get(channel)
        if closed is not None and closed[0] <= now:
            del self._closed[channel]
            closed = None
        if closed is None and rules.quiet_hours and _in_quiet_hours(now, rules.quiet_hours):
            closed = (_quiet_hours_end(now, rules.quiet_hours), REASON_NIGHT)
        if closed is None and rules.daily_quota and self._used(channel) >= rules.daily_quota:
            closed = self._next_day(channel, now), REASON_QUOTA
            self._closed[channel] = closed
        if closed is not None:
            self._hold_pending(channel, *closed)
        return closed

    def _next_day(self, channel: str, now: datetime) -> datetime:
        local = now.astimezone(VIETNAM)
        tomorrow = datetime(local.year, local.month, local.day,
                            tzinfo=VIETNAM) + timedelta(days=1)
        quiet = self.rules[channel].quiet_hours
        if quiet and _in_quiet_hours(tomorrow, quiet):
            tomorrow = _quiet_hours_end(tomorrow, quiet)
        return tomorrow.astimezone(UTC)

    def _used(self, channel: str) -> int:
        """Copies sent (or being sent) today, Vietnam's day, on the channel."""
        now = self.clock().astimezone(VIETNAM)
        day = now.date().isoformat()
        known = self._used_today.get(channel)
        if known is None or known[0] != day:
            midnight = datetime(now.year, now.month, now.day, tzinfo=VIETNAM)
            known = self._used_today[channel] = (
                day, self.store.copies_sent_since(channel, midnight))
        return known[1]

    def _use(self, channel: str, count: int) -> None:
        if not self.rules[channel].daily_quota:
            return
        self._used(channel)
        day, used = self._used_today[channel]
        self._used_today[channel] = (day, used + count)

    def _hold_pending(self, channel: str, until: datetime, reason: str) -> int:
        return self._each_sending(self.store.hold_pending_copies, reason, until,
                                  channel=channel)

    # --- sending --------------------------------------------------------------------------

    async def send_now(self, channels: list[str] | None = None) -> None:
        """Sends every copy that may be sent now, then returns (for tests and for
        `broadcast run --until-done`, which call it between ticks)."""
        await asyncio.gather(*(self._channel(channel, stop_when_idle=True)
                               for channel in channels or list(self.senders)))

    async def _channel(self, channel: str, stop_when_idle: bool) -> None:
        await asyncio.gather(*(self._worker(channel, stop_when_idle)
                               for _ in range(self.rules[channel].in_flight)))

    async def _worker(self, channel: str, stop_when_idle: bool) -> None:
        bucket = self._buckets[channel]
        while not self._stopping:
            try:
                claimed = None
                if self._closed_now(channel) is None:
                    await bucket.take()
                    claimed = self._claim(channel)
                if claimed is None:
                    if stop_when_idle:
                        return
                    await self._idle()
                    continue
                await self._deliver(claimed, bucket)
            except Exception:
                # E.g. the database locked for longer than its busy timeout: a copy whose
                # outcome could not be recorded stays 'sending' and is sent again after a
                # restart, like one in flight at a crash.
                log.exception("the %s broadcast worker failed; it goes on in %s s", channel,
                              self.poll_seconds)
                if stop_when_idle:
                    raise
                await self.sleep(self.poll_seconds)

    def _claim(self, channel: str) -> Claimed | None:
        """The next pending copy on the channel, committed as 'sending' before it is sent;
        None when there is none. Copies for citizens who meanwhile blocked the bot or deleted
        their data are recorded as such and skipped."""
        rules = self.rules[channel]
        if rules.daily_quota and self._used(channel) >= rules.daily_quota:
            return None
        claimed = self.store.claim_copy(channel, self.clock(), gone=REASON_GONE,
                                        unreachable=REASON_UNREACHABLE)
        if claimed is None:
            return None
        self._use(channel, 1)
        return Claimed(claimed[0], channel, claimed[1])

    async def _deliver(self, claimed: Claimed, bucket: TokenBucket) -> None:
        sender = self.senders[claimed.channel]
        announcement = self._announcement(claimed.announcement_id)
        rate_limited = network_errors = 0
        while True:
            try:
                outcome = await sender.send(claimed.user_id, announcement)
            except Exception as error:  # a sender's bug must not leave the row 'sending'
                log.exception("sending announcement %s to %s %s failed", announcement.id,
                              claimed.channel, claimed.user_id)
                outcome = Outcome.failed(f"{REASON_CRASHED}: {type(error).__name__}")
            if outcome.status != "retry":
                break
            if outcome.channel_wide:
                rate_limited += 1
                if rate_limited > MAX_RATE_LIMITED:
                    outcome = Outcome.failed(f"{outcome.reason} ({rate_limited} lần)")
                    break
                log.info("%s asks to wait %.1f s (%s)", claimed.channel, outcome.pause,
                         outcome.reason)
                bucket.pause(outcome.pause)
            else:
                if network_errors >= len(NETWORK_PAUSES):
                    outcome = Outcome.failed(outcome.reason or "lỗi mạng")
                    break
                await self.sleep(NETWORK_PAUSES[network_errors])
                network_errors += 1
            await bucket.take()
            self.store.count_copy_attempt(claimed.announcement_id, claimed.channel,
                                          claimed.user_id)
        self._record(claimed, outcome)

    def _record(self, claimed: Claimed, outcome: Outcome) -> None:
        now = self.clock()
        if outcome.status != "sent":
            self._use(claimed.channel, -1)
        until = self._held_until(claimed.channel, outcome.rule, now) \
            if outcome.status == "held" else None
        self.store.record_copy(claimed.announcement_id, claimed.channel, claimed.user_id,
                               outcome.status, now, reason=outcome.reason, not_before=until,
                               unreachable=outcome.unreachable and outcome.status != "sent")

    def _held_until(self, channel: str, rule: str | None, now: datetime) -> datetime:
        if rule == "quota":
            until = self._next_day(channel, now)
            self._closed[channel] = (until, REASON_QUOTA)
            return until
        quiet = self.rules[channel].quiet_hours or ZALO_QUIET_HOURS
        if _in_quiet_hours(now, quiet):
            return _quiet_hours_end(now, quiet)
        # The platform's clock says night where ours does not: try again a little later.
        return now + timedelta(minutes=15)

    def _announcement(self, announcement_id: int) -> Announcement:
        announcement = self._cache.get(announcement_id)
        if announcement is None:
            announcement = self._cache[announcement_id] = self.announcements.get(
                announcement_id)
        return announcement

    def _warn_unconfigured(self) -> None:
        for announcement_id, channel in self._sending():
            key = (announcement_id, channel)
            if channel in self.senders or key in self._warned_unconfigured:
                continue
            if self._any(announcement_id, channel, ("pending",)):
                self._warned_unconfigured.add(key)
                log.warning("announcement %s has copies to send on %s, which is not "
                            "configured here: they wait until a broadcaster with %s runs",
                            announcement_id, channel, channel)

    # --- running --------------------------------------------------------------------------

    async def run(self, *, until_done: bool = False) -> None:
        """Sends what is due, every few seconds, until cancelled or stop() (or, with
        `until_done`, until nothing is left to send on the configured channels)."""
        self._wake = asyncio.Event()
        lock = await self._exclusive()
        if lock is None:  # stopped while waiting for the lock
            return
        with lock:
            self.resume()
            workers = [asyncio.create_task(self._channel(channel, stop_when_idle=False),
                                           name=f"broadcast-{channel}")
                       for channel in self.senders]
            stopped = False
            try:
                while not self._stopping:
                    self.tick()
                    if until_done and not self.has_work():
                        break
                    await self._idle()
            finally:
                stopped, self._stopping = self._stopping, True
                self._notify()
                # The workers finish the copy in hand (recorded), then stop.
                await asyncio.gather(*workers, return_exceptions=True)
                self._stopping = stopped

    def stop(self) -> None:
        """Asks run() to return once the copies in hand are sent and recorded."""
        self._stopping = True
        self._notify()

    async def _idle(self) -> None:
        if self._wake is None:
            await self.sleep(self.poll_seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        self._wake.clear()

    def _notify(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _exclusive(self) -> contextlib.AbstractContextManager | None:
        """The database's broadcast lock, waited for while another process holds it; None if
        stop() was called meanwhile."""
        path = self.store.path
        if str(path) == ":memory:":
            return contextlib.nullcontext()
        lock_path = Path(f"{path}.broadcast.lock")
        warned = False
        while not self._stopping:
            lock = _try_lock(lock_path)
            if lock is not None:
                return lock
            if not warned:
                log.info("another process is sending the announcements of %s; waiting", path)
                warned = True
            await self._idle()
        return None


@contextlib.asynccontextmanager
async def broadcasting(broadcaster: Broadcaster, *,
                       stop_timeout: float = 30.0) -> AsyncIterator[Broadcaster]:
    """Runs the broadcaster for the duration of the block (e.g. in a Starlette lifespan,
    after the channels have started): on the way out it finishes the copies in hand, or is
    cancelled after `stop_timeout` seconds (those copies are then sent again next time)."""
    task = asyncio.create_task(broadcaster.run(), name="broadcaster")
    try:
        yield broadcaster
    finally:
        broadcaster.stop()
        try:
            await asyncio.wait_for(task, stop_timeout)
        except TimeoutError:
            log.warning("the broadcaster did not stop within %s s", stop_timeout)
        except Exception:
            log.exception("the broadcaster failed")


def _try_lock(path: Path) -> contextlib.AbstractContextManager | None:
    try:
        import fcntl
    except ImportError:  # not POSIX: one broadcaster per database is up to the operator
        return contextlib.nullcontext()
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None

    @contextlib.contextmanager
    def held() -> Iterator[None]:
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    return held()


def _in_quiet_hours(moment: datetime, quiet: tuple[int, int]) -> bool:
    start, end = quiet
    hour = moment.astimezone(VIETNAM).hour
    return hour >= start or hour < end if start > end else start <= hour < end


def _quiet_hours_end(moment: datetime, quiet: tuple[int, int]) -> datetime:
    """When the quiet hours `moment` falls in end (UTC)."""
    local = moment.astimezone(VIETNAM)
    end = datetime(local.year, local.month, local.day, quiet[1], tzinfo=VIETNAM)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)
