"""The outbox and its sending (bot/broadcast/delivery.py), with senders that only record what
they are asked to send and answer what a test tells them, and a wall clock moved by hand.

Nothing here measures time: the pacing is checked with a clock that sleeping moves, and the
sending itself runs at a rate high enough not to wait.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.broadcast.announcements import Announcement, Announcements
from bot.broadcast.delivery import (
    REASON_NIGHT,
    REASON_QUOTA,
    REASON_UNREACHABLE,
    Broadcaster,
    ChannelRules,
    Outcome,
    TokenBucket,
    broadcasting,
    rules_from,
)
from bot.config import Settings
from bot.storage import Store
from bot.vocabulary import VIETNAM
from tests.broadcast.support import Clock, scheduled, subscribe

pytestmark = pytest.mark.asyncio

FAST = ChannelRules(rate=100_000, in_flight=4)
ZALO_FAST = ChannelRules(rate=100_000, in_flight=2, quiet_hours=(22, 6))


class RecordingSender:
    """Sends nothing; records each (user, announcement) and answers `answer(user, tries)`."""

    def __init__(self, answer: Callable[[str, int], Outcome] | None = None) -> None:
        self.answer = answer or (lambda user, tries: Outcome.sent())
        self.calls: list[tuple[str, int]] = []

    async def send(self, user_id: str, announcement: Announcement) -> Outcome:
        self.calls.append((user_id, announcement.id))
        await asyncio.sleep(0)
        tries = sum(1 for user, _ in self.calls if user == user_id)
        return self.answer(user_id, tries)

    def copies(self) -> Counter[str]:
        return Counter(user for user, _ in self.calls)


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def broadcaster(store: Store, board: Announcements, clock: Clock, **senders) -> Broadcaster:
    rules = {"telegram": FAST, "zalo": ZALO_FAST}
    return Broadcaster(store, board, senders, rules=rules, clock=clock, sleep=no_sleep,
                       poll_seconds=0.01)


async def deliver(caster: Broadcaster) -> None:
    """What run() does, once: start what is due, send what may be sent, finish what is done."""
    caster.tick()
    await caster.send_now()
    caster.tick()


def statuses(store: Store, announcement_id: int) -> dict[tuple[str, str], str]:
    return {(row["channel"], row["user_id"]): row["status"] for row in store.rows(
        "SELECT channel, user_id, status FROM announcement_deliveries WHERE "
        "announcement_id = ?", [announcement_id])}


# --- pacing ---------------------------------------------------------------------------------

class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_the_token_bucket_keeps_to_its_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(25, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(251):
        await bucket.take()
    assert time.now == pytest.approx(10.0, abs=0.05)  # 250 intervals of 1/25 s


async def test_the_token_bucket_allows_no_burst_after_idling_beyond_a_tenth_second() -> None:
    time = FakeTime()
    bucket = TokenBucket(100, monotonic=time.monotonic, sleep=time.sleep)
    time.now = 60.0  # a minute idle
    for _ in range(11):
        await bucket.take()
    assert time.now == pytest.approx(60.01, abs=1e-6)  # 10 at once, then one more 1/100 s later


async def test_a_pause_holds_every_take_for_that_long() -> None:
    time = FakeTime()
    bucket = TokenBucket(10, monotonic=time.monotonic, sleep=time.sleep)
    await bucket.take()
    bucket.pause(3)
    await bucket.take()
    assert time.now == pytest.approx(3.1, abs=1e-6)


async def test_the_rates_come_from_the_settings() -> None:
    settings = Settings.from_env({"BROADCAST_TELEGRAM_RATE": "30", "BROADCAST_ZALO_RATE": "8",
                                  "BROADCAST_ZALO_DAILY_QUOTA": "500",
                                  "BROADCAST_IN_FLIGHT": "2"})
    rules = rules_from(settings)
    assert rules["telegram"] == ChannelRules(30, 2)
    assert rules["zalo"] == ChannelRules(8, 2, (22, 6), 500)
    assert rules_from(Settings.from_env({}))["telegram"].rate == 25


# --- the audience ---------------------------------------------------------------------------

async def test_starting_fixes_the_audience_reachable_subscribers_of_its_topics(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1, 2, 3], topics=["cchc"])
    subscribe(store, "telegram", [4], topics=["dat-dai-xay-dung"])
    subscribe(store, "telegram", [5], topics=["dich-vu-cong", "cchc"])
    subscribe(store, "zalo", ["z1"], topics=["cchc"])
    store.mark_unreachable("telegram", "3")
    announcement_id = scheduled(board, channels=["telegram"])
    caster = broadcaster(store, board, clock, telegram=RecordingSender())
    assert caster.start_due() == [announcement_id]
    subscribe(store, "telegram", [6], topics=["cchc"])  # too late for this one
    assert sorted(statuses(store, announcement_id)) == [("telegram", "1"), ("telegram", "2"),
                                                        ("telegram", "5")]
    started = board.get(announcement_id)
    assert started.status == "sending" and started.started_at == clock()
    assert caster.start_due() == []


async def test_each_subscriber_gets_one_copy_and_the_announcement_is_then_sent(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", range(1, 201))
    subscribe(store, "zalo", [f"z{n}" for n in range(50)])
    announcement_id = scheduled(board)
    telegram, zalo = RecordingSender(), RecordingSender()
    caster = broadcaster(store, board, clock, telegram=telegram, zalo=zalo)
    await deliver(caster)
    assert set(telegram.copies().values()) == {1} and len(telegram.copies()) == 200
    assert set(zalo.copies().values()) == {1} and len(zalo.copies()) == 50
    announcement = board.get(announcement_id)
    assert announcement.status == "sent" and announcement.finished_at == clock()
    progress = board.progress(announcement_id)
    assert progress.by_channel == {"telegram": {"sent": 200}, "zalo": {"sent": 50}}


async def test_a_scheduled_time_is_waited_for(store: Store, board: Announcements,
                                              clock: Clock) -> None:
    subscribe(store, "telegram", [1])
    announcement = board.create(title="Lịch tiếp dân", body="Thứ Năm hằng tuần.",
                                topics=["cchc"], channels=["telegram"], created_by="hoa")
    board.submit(announcement.id, by="hoa", send_at=clock() + timedelta(hours=2))
    sender = RecordingSender()
    caster = broadcaster(store, board, clock, telegram=sender)
    await deliver(caster)
    assert sender.calls == [] and board.get(announcement.id).status == "scheduled"
    clock.advance(hours=2)
    await deliver(caster)
    assert sender.calls == [("1", announcement.id)]


async def test_an_empty_audience_finishes_at_once(store: Store, board: Announcements,
                                                  clock: Clock) -> None:
    announcement_id = scheduled(board)
    await deliver(broadcaster(store, board, clock, telegram=RecordingSender()))
    assert board.get(announcement_id).status == "sent"


# --- outcomes -------------------------------------------------------------------------------

async def test_who_blocked_the_bot_is_marked_and_left_out_of_the_next_audience(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1, 2, 3])
    blocked = RecordingSender(lambda user, tries: Outcome.blocked("Telegram 403: blocked")
                              if user == "2" else Outcome.sent())
    first = scheduled(board, channels=["telegram"])
    await deliver(broadcaster(store, board, clock, telegram=blocked))
    assert statuses(store, first)[("telegram", "2")] == "blocked"
    assert store.user("telegram", "2").unreachable
    assert board.progress(first).reasons == {"Telegram 403: blocked": 1}

    second = scheduled(board, channels=["telegram"])
    sender = RecordingSender()
    await deliver(broadcaster(store, board, clock, telegram=sender))
    assert sorted(sender.copies()) == ["1", "3"]
    assert ("telegram", "2") not in statuses(store, second)


async def test_a_rate_limit_pauses_the_channel_and_sends_the_same_copy_again(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1, 2, 3])
    sender = RecordingSender(lambda user, tries: Outcome.rate_limited(5, "Telegram 429")
                             if user == "2" and tries <= 2 else Outcome.sent())
    caster = broadcaster(store, board, clock, telegram=sender)
    paused: list[float] = []
    bucket = caster._buckets["telegram"]
    original = bucket.pause
    bucket.pause = lambda seconds: (paused.append(seconds), original(0))[1]
    announcement_id = scheduled(board, channels=["telegram"])
    await deliver(caster)
    assert paused == [5, 5]
    assert sender.copies() == Counter({"1": 1, "2": 3, "3": 1})  # 2 refused, then taken
    assert set(statuses(store, announcement_id).values()) == {"sent"}
    attempts = store.rows("SELECT attempts FROM announcement_deliveries WHERE user_id = '2'")
    assert attempts == [{"attempts": 3}]


async def test_a_network_error_is_tried_again_then_the_copy_fails(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1, 2])
    sender = RecordingSender(lambda user, tries: Outcome.network_error("Telegram: lỗi mạng")
                             if user == "1" or tries == 1 else Outcome.sent())
    announcement_id = scheduled(board, channels=["telegram"])
    await deliver(broadcaster(store, board, clock, telegram=sender))
    assert sender.copies() == Counter({"1": 4, "2": 2})
    assert statuses(store, announcement_id) == {("telegram", "1"): "failed",
                                                ("telegram", "2"): "sent"}
    assert board.progress(announcement_id).reasons == {"Telegram: lỗi mạng": 1}
    assert board.get(announcement_id).status == "sent"


async def test_a_failure_is_recorded_with_its_reason_and_not_tried_again(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1])
    sender = RecordingSender(lambda user, tries: Outcome.failed("Telegram 400: chat not found"))
    announcement_id = scheduled(board, channels=["telegram"])
    await deliver(broadcaster(store, board, clock, telegram=sender))
    assert len(sender.calls) == 1
    assert board.progress(announcement_id).reasons == {"Telegram 400: chat not found": 1}
    assert not store.user("telegram", "1").unreachable


async def test_a_sender_that_raises_fails_the_copy_instead_of_stalling(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1, 2])

    def broken(user: str, tries: int) -> Outcome:
        if user == "1":
            raise RuntimeError("bug")
        return Outcome.sent()

    announcement_id = scheduled(board, channels=["telegram"])
    await deliver(broadcaster(store, board, clock, telegram=RecordingSender(broken)))
    assert statuses(store, announcement_id) == {("telegram", "1"): "failed",
                                                ("telegram", "2"): "sent"}


async def test_citizens_who_blocked_or_left_after_the_start_are_not_sent_it(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1, 2, 3])
    announcement_id = scheduled(board, channels=["telegram"])
    sender = RecordingSender()
    caster = broadcaster(store, board, clock, telegram=sender)
    caster.start_due()
    store.mark_unreachable("telegram", "2")
    store.delete_user_data("telegram", "3")
    await deliver(caster)
    assert list(sender.copies()) == ["1"]
    rows = {row["user_id"]: (row["status"], row["reason"]) for row in store.rows(
        "SELECT user_id, status, reason FROM announcement_deliveries")}
    # The citizen who deleted their data took their copy's row with it.
    assert rows == {"1": ("sent", None), "2": ("blocked", REASON_UNREACHABLE)}
    assert board.get(announcement_id).status == "sent"


# --- Zalo's rules ---------------------------------------------------------------------------

async def test_zalo_sends_nothing_between_22_and_6_and_resumes_at_6(
        store: Store, board: Announcements, clock: Clock) -> None:
    clock.now = datetime(2026, 3, 10, 22, 30, tzinfo=VIETNAM)
    subscribe(store, "telegram", [1, 2])
    subscribe(store, "zalo", ["z1", "z2", "z3"])
    announcement_id = scheduled(board)
    telegram, zalo = RecordingSender(), RecordingSender()
    caster = broadcaster(store, board, clock, telegram=telegram, zalo=zalo)
    await deliver(caster)
    assert len(telegram.calls) == 2 and zalo.calls == []
    held = store.rows("SELECT status, reason, not_before FROM announcement_deliveries WHERE "
                      "channel = 'zalo'")
    six = datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM).astimezone(UTC)
    assert held == [{"status": "held", "reason": REASON_NIGHT,
                     "not_before": six.isoformat()}] * 3
    assert board.progress(announcement_id).reasons == {REASON_NIGHT: 3}
    assert board.get(announcement_id).status == "sending"

    clock.now = datetime(2026, 3, 11, 5, 59, tzinfo=VIETNAM)
    await deliver(caster)
    assert zalo.calls == []
    clock.now = datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM)
    await deliver(caster)
    assert sorted(zalo.copies()) == ["z1", "z2", "z3"]
    assert board.get(announcement_id).status == "sent"
    assert board.progress(announcement_id).by_status == {"sent": 5}


async def test_when_zalo_says_it_is_night_the_copy_waits_until_6(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "zalo", ["z1"])
    # Our clock says 21:59:59; Zalo's already says 22:00.
    clock.now = datetime(2026, 3, 10, 21, 59, 59, tzinfo=VIETNAM)
    zalo = RecordingSender(lambda user, tries: Outcome.held("night", "Zalo -234: night"))
    announcement_id = scheduled(board, channels=["zalo"])
    caster = broadcaster(store, board, clock, zalo=zalo)
    await deliver(caster)
    row, = store.rows("SELECT status, not_before FROM announcement_deliveries")
    assert row["status"] == "held"
    assert datetime.fromisoformat(row["not_before"]) == clock() + timedelta(minutes=15)
    clock.now = datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM)
    zalo.answer = lambda user, tries: Outcome.sent()
    await deliver(caster)
    assert board.get(announcement_id).status == "sent"


async def test_the_daily_quota_holds_the_rest_until_the_next_morning(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "zalo", [f"z{n}" for n in range(5)])
    zalo = RecordingSender()
    caster = Broadcaster(store, board, {"zalo": zalo}, clock=clock, sleep=no_sleep,
                         rules={"zalo": ChannelRules(100_000, 2, (22, 6), daily_quota=3)})
    announcement_id = scheduled(board, channels=["zalo"])
    await deliver(caster)
    assert len(zalo.calls) == 3
    progress = board.progress(announcement_id)
    assert progress.by_status == {"sent": 3, "held": 2}
    assert progress.reasons == {REASON_QUOTA: 2}
    not_before = {row["not_before"] for row in store.rows(
        "SELECT not_before FROM announcement_deliveries WHERE status = 'held'")}
    assert not_before == {datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM)
                          .astimezone(UTC).isoformat()}
    clock.now = datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM)
    await deliver(caster)
    assert len(zalo.calls) == 5 and set(zalo.copies().values()) == {1}
    assert board.get(announcement_id).status == "sent"


async def test_zalo_out_of_quota_holds_the_rest_until_the_next_morning(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "zalo", ["z1", "z2", "z3"])
    zalo = RecordingSender(lambda user, tries: Outcome.held("quota", "Zalo -211: out of quota")
                           if user == "z2" else Outcome.sent())
    caster = Broadcaster(store, board, {"zalo": zalo}, clock=clock, sleep=no_sleep,
                         rules={"zalo": ChannelRules(100_000, 1, (22, 6))})
    announcement_id = scheduled(board, channels=["zalo"])
    await deliver(caster)
    assert zalo.copies() == Counter({"z1": 1, "z2": 1})
    assert board.progress(announcement_id).by_status == {"sent": 1, "held": 2}
    clock.now = datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM)
    zalo.answer = lambda user, tries: Outcome.sent()
    await deliver(caster)
    assert zalo.copies() == Counter({"z1": 1, "z2": 2, "z3": 1})
    assert board.get(announcement_id).status == "sent"


# --- crashes, restarts and running ----------------------------------------------------------

async def test_a_restart_sends_again_only_the_copies_left_sending(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", range(1, 11))
    announcement_id = scheduled(board, channels=["telegram"])
    first = broadcaster(store, board, clock, telegram=RecordingSender())
    first.start_due()
    # As a process killed mid-way leaves it: five sent, two in flight, three to go.
    store.execute("UPDATE announcement_deliveries SET status = 'sent' WHERE "
                  "CAST(user_id AS INTEGER) <= 5")
    store.execute("UPDATE announcement_deliveries SET status = 'sending', attempts = 1 WHERE "
                  "user_id IN ('6', '7')")
    sender = RecordingSender()
    restarted = broadcaster(store, board, clock, telegram=sender)
    await asyncio.wait_for(restarted.run(until_done=True), 10)
    assert sorted(sender.copies(), key=int) == ["6", "7", "8", "9", "10"]
    assert set(sender.copies().values()) == {1}
    assert board.get(announcement_id).status == "sent"


async def test_run_until_done_sends_everything_due_and_returns(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", range(300))
    subscribe(store, "zalo", [f"z{n}" for n in range(30)])
    ids = [scheduled(board), scheduled(board, channels=["telegram"])]
    telegram, zalo = RecordingSender(), RecordingSender()
    caster = broadcaster(store, board, clock, telegram=telegram, zalo=zalo)
    await asyncio.wait_for(caster.run(until_done=True), 10)
    assert Counter(telegram.copies().values()) == Counter({2: 300})
    assert Counter(zalo.copies().values()) == Counter({1: 30})
    assert [board.get(i).status for i in ids] == ["sent", "sent"]


async def test_copies_for_a_channel_not_configured_wait_for_it(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", [1])
    subscribe(store, "zalo", ["z1"])
    announcement_id = scheduled(board)
    caster = broadcaster(store, board, clock, telegram=RecordingSender())
    await asyncio.wait_for(caster.run(until_done=True), 10)
    assert statuses(store, announcement_id) == {("telegram", "1"): "sent",
                                                ("zalo", "z1"): "pending"}
    assert board.get(announcement_id).status == "sending"
    zalo = RecordingSender()
    await asyncio.wait_for(broadcaster(store, board, clock, zalo=zalo).run(until_done=True), 10)
    assert zalo.calls == [("z1", announcement_id)]
    assert board.get(announcement_id).status == "sent"


async def test_broadcasting_runs_in_the_background_and_stops_cleanly(
        store: Store, board: Announcements, clock: Clock) -> None:
    subscribe(store, "telegram", range(20))
    sender = RecordingSender()
    caster = Broadcaster(store, board, {"telegram": sender}, rules={"telegram": FAST},
                         clock=clock, poll_seconds=0.01)
    async with broadcasting(caster):
        announcement_id = scheduled(board, channels=["telegram"])
        for _ in range(500):
            if board.get(announcement_id).status == "sent":
                break
            await asyncio.sleep(0.01)
    assert board.get(announcement_id).status == "sent"
    assert len(sender.copies()) == 20


async def test_only_one_broadcaster_sends_from_a_database_at_a_time(
        store: Store, board: Announcements, clock: Clock, tmp_path) -> None:
    subscribe(store, "telegram", range(10))
    first = broadcaster(store, board, clock, telegram=RecordingSender())
    second_sender = RecordingSender()
    with Store(tmp_path / "bot.db") as other:
        second = broadcaster(other, Announcements(other, clock=clock), clock,
                             telegram=second_sender)
        async with broadcasting(first):
            waiting = asyncio.create_task(second.run(until_done=True))
            announcement_id = scheduled(board, channels=["telegram"])
            for _ in range(500):
                if board.get(announcement_id).status == "sent":
                    break
                await asyncio.sleep(0.01)
            assert not waiting.done()
        await asyncio.wait_for(waiting, 10)  # takes the lock once the first has stopped
    assert second_sender.calls == []
    assert board.get(announcement_id).status == "sent"
