"""The issue's delivery tests over real HTTP: 10,000 Telegram subscribers, the fake Bot API in
a process of its own answering some sends with 429 (retry_after) and 403, and `python -m bot
broadcast run --until-done` as the sender — once straight through, and once killed with
SIGKILL half-way and started again. Each reachable subscriber must get exactly one copy,
counted per chat by the fake; after the kill, only a copy that was in flight at that moment
(left 'sending', at most BROADCAST_IN_FLIGHT of them) may arrive twice.

The rate is lifted to 3,000 messages a second so that 10,000 copies take seconds, not the
seven minutes Telegram's 25 a second would.

Also here: Zalo end to end over HTTP against the fake OA API, night hold included.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from bot.broadcast.announcements import Announcements
from bot.broadcast.delivery import REASON_NIGHT, Broadcaster, rules_from
from bot.broadcast.senders import ZaloSender
from bot.config import Settings
from bot.storage import Store
from bot.vocabulary import VIETNAM
from tests.broadcast.support import Clock, scheduled, subscribe
from tests.channels.fake_telegram import TOKEN
from tests.channels.fake_zalo import FIRST_ACCESS_TOKEN, FakeZalo
from tests.support.environment import child_environment

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 10_000
FIRST_CHAT = 500_000_000
CHATS = [FIRST_CHAT + n for n in range(SUBSCRIBERS)]
BLOCKED = CHATS[7::97]  # 104 citizens who blocked the bot
RATE_LIMITED = [CHATS[1_000], CHATS[4_000], CHATS[8_000]]  # each answered 429 once
IN_FLIGHT = 4
RATE = 3_000

pytestmark = pytest.mark.slow


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake_api() -> Iterator[str]:
    """The fake Bot API in its own process; its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.channels.fake_telegram",
                                "--port", str(port)], cwd=ROOT,
                               env=child_environment())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_fake/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the fake Bot API did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def prepare(db: Path, api: str) -> int:
    """10,000 subscribers, an announcement due now, and the faults injected into the fake."""
    with Store(db) as store:
        subscribe(store, "telegram", CHATS)
        announcement_id = scheduled(Announcements(store), channels=["telegram"])
    httpx.post(f"{api}/_fake/block", json={"chat_ids": BLOCKED}).raise_for_status()
    for chat in RATE_LIMITED:
        httpx.post(f"{api}/_fake/fail", json={"method": "sendMessage", "error_code": 429,
                                              "retry_after": 1, "chat_id": chat}
                   ).raise_for_status()
    return announcement_id


def start_sender(db: Path, api: str, log: Path) -> subprocess.Popen:
    env = child_environment(BOT_DB=str(db), TELEGRAM_BOT_TOKEN=TOKEN,
                            TELEGRAM_API_BASE_URL=api, BROADCAST_TELEGRAM_RATE=str(RATE),
                            BROADCAST_IN_FLIGHT=str(IN_FLIGHT))
    return subprocess.Popen([sys.executable, "-m", "bot", "broadcast", "run", "--until-done",
                             "--poll", "0.2"], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(
            f"still sending after {timeout} s:\n{log.read_text()[-3000:]}") from None
    assert code == 0, log.read_text()[-3000:]


def copies(api: str) -> Counter[int]:
    return Counter(message["chat_id"] for message in httpx.get(f"{api}/_fake/sent",
                                                               timeout=30).json())


def refused(api: str) -> Counter[int]:
    calls = httpx.get(f"{api}/_fake/calls", params={"method": "sendMessage"}, timeout=30).json()
    return Counter(call["error_code"] for call in calls if not call["ok"])


def check_the_outcome(db: Path, announcement_id: int) -> None:
    with Store(db) as store:
        board = Announcements(store)
        assert board.get(announcement_id).status == "sent"
        progress = board.progress(announcement_id)
        assert progress.by_status == {"sent": SUBSCRIBERS - len(BLOCKED),
                                      "blocked": len(BLOCKED)}
        unreachable = {int(row["user_id"]) for row in store.rows(
            "SELECT user_id FROM users WHERE unreachable = 1")}
        assert unreachable == set(BLOCKED)
        # Left out of the next announcement's audience.
        assert board.audience_size(["cchc"], ["telegram"]) == {
            "telegram": SUBSCRIBERS - len(BLOCKED)}


def test_every_reachable_subscriber_gets_exactly_one_copy(fake_api: str,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    announcement_id = prepare(db, fake_api)
    log = tmp_path / "sender.log"
    finish(start_sender(db, fake_api, log), log)

    received = copies(fake_api)
    reachable = set(CHATS) - set(BLOCKED)
    assert set(received) == reachable
    assert set(received.values()) == {1}
    assert refused(fake_api) == Counter({403: len(BLOCKED), 429: len(RATE_LIMITED)})
    check_the_outcome(db, announcement_id)


def test_killed_half_way_and_restarted_each_subscriber_still_gets_one_copy(
        fake_api: str, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    announcement_id = prepare(db, fake_api)
    log = tmp_path / "sender.log"
    first = start_sender(db, fake_api, log)
    deadline = time.monotonic() + 120
    while httpx.get(f"{fake_api}/_fake/stats").json()["sent"] < SUBSCRIBERS // 2:
        assert first.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the sender never got half-way"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with Store(db) as store:
        in_flight = {int(row["user_id"]) for row in store.rows(
            "SELECT user_id FROM announcement_deliveries WHERE status = 'sending'")}
        sent_before = store.rows("SELECT count(*) AS n FROM announcement_deliveries WHERE "
                                 "status = 'sent'")[0]["n"]
    assert len(in_flight) <= IN_FLIGHT
    assert SUBSCRIBERS // 2 - IN_FLIGHT <= sent_before < SUBSCRIBERS - len(BLOCKED)

    finish(start_sender(db, fake_api, log), log)
    received = copies(fake_api)
    reachable = set(CHATS) - set(BLOCKED)
    assert set(received) == reachable
    twice = {chat for chat, count in received.items() if count > 1}
    assert twice <= in_flight, f"sent twice though not in flight at the kill: {twice}"
    assert max(received.values()) <= 2
    check_the_outcome(db, announcement_id)


# --- Zalo -----------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_zalo_news_waits_for_the_morning_and_skips_who_unfollowed(tmp_path: Path,
                                                                         text) -> None:
    followers = [f"z{n}" for n in range(60)]
    with FakeZalo() as zalo, Store(tmp_path / "bot.db") as store:
        zalo.unfollow("z7")
        settings = replace(Settings.from_env({}), db_path=tmp_path / "bot.db",
                           zalo_app_id="123", zalo_app_secret=zalo.app_secret,
                           zalo_oa_secret_key="k", zalo_oa_access_token=FIRST_ACCESS_TOKEN,
                           zalo_oa_refresh_token="RT-0", zalo_api_base_url=zalo.url,
                           zalo_oauth_base_url=zalo.url, broadcast_zalo_rate=1000)
        clock = Clock(datetime(2026, 3, 10, 23, 15, tzinfo=VIETNAM))
        board = Announcements(store, clock=clock)
        subscribe(store, "zalo", followers)
        announcement_id = scheduled(board, channels=["zalo"])
        sender = ZaloSender.own(settings, store, text)
        await sender.start()
        caster = Broadcaster(store, board, {"zalo": sender}, rules=rules_from(settings),
                             clock=clock, poll_seconds=0.05)
        try:
            caster.tick()
            await caster.send_now()
            assert zalo.promotions() == []
            assert board.progress(announcement_id).reasons == {REASON_NIGHT: 60}

            clock.now = datetime(2026, 3, 11, 6, 0, tzinfo=VIETNAM)
            await asyncio.wait_for(caster.run(until_done=True), 30)
        finally:
            await sender.stop()
        delivered = Counter(message.user_id for message in zalo.promotions())
        assert set(delivered) == set(followers) - {"z7"}
        assert set(delivered.values()) == {1}
        assert board.get(announcement_id).status == "sent"
        assert board.progress(announcement_id).by_status == {"sent": 59, "blocked": 1}
        assert store.user("zalo", "z7").unreachable
