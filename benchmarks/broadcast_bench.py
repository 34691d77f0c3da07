"""Announcement delivery rate against the configured limit: `python -m benchmarks.broadcast_bench`.

    python -m benchmarks.broadcast_bench [--seconds 40] [--high-rate 200] [--high-seconds 30]
                                         [--capacity 20000]

Starts the fake Bot API (tests/channels/fake_telegram.py) in a process of its own and, for each
run, a fresh database with as many Telegram subscribers as the run should take, one
announcement due now, and `python -m bot broadcast run --until-done` as the sender, as an
officer would run it. The fake stamps each message it takes; from those stamps come the rate
reached (first to last message), and the slowest 5-second window, against the configured
limit (BROADCAST_TELEGRAM_RATE). Runs:

1. the default limit, 25 messages a second, for about `--seconds`: the goal is at least 95% of
   the limit, sustained; from it, the time to reach 100,000 subscribers on Telegram;
2. a higher limit (`--high-rate`, 200/s) for about `--high-seconds`, to show the sender keeps
   up with a higher limit (a local Bot API server allows more than Telegram's 30 a second);
3. `--capacity` subscribers with the limit lifted (10,000/s): what one process can send.

Each run checks that every subscriber got exactly one copy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.processes import cpu_seconds, free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAT = 600_000_000
WINDOW_SECONDS = 5.0
GOAL = 0.95
TARGET_SUBSCRIBERS = 100_000
IN_FLIGHT = 4


@dataclass
class Result:
    limit: int
    subscribers: int
    elapsed: float
    rate: float
    slowest_window: float | None
    cpu_ms: float
    once: bool


def prepare(db: Path, subscribers: int, first_chat: int) -> None:
    from bot.broadcast.announcements import Announcements
    from bot.storage import Store
    from tests.broadcast.support import scheduled, subscribe

    with Store(db) as store:
        subscribe(store, "telegram", range(first_chat, first_chat + subscribers))
        scheduled(Announcements(store), channels=["telegram"],
                  title="Từ 01/7 nộp hồ sơ đất đai trực tuyến toàn tỉnh",
                  body="Người dân và doanh nghiệp nộp hồ sơ đăng ký đất đai trên Cổng dịch vụ "
                       "công quốc gia, không cần đến bộ phận một cửa.",
                  link="https://dichvucong.gov.vn/p/home/dvc-trang-chu.html")


async def one_run(client: httpx.AsyncClient, api: str, workdir: Path, limit: int,
                  subscribers: int, first_chat: int) -> Result:
    from tests.channels.fake_telegram import TOKEN

    db = workdir / f"bot-{limit}.db"
    prepare(db, subscribers, first_chat)
    (await client.post(f"{api}/_fake/reset")).raise_for_status()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_DB": str(db),
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api, "ZALO_APP_ID": "",
           "BROADCAST_TELEGRAM_RATE": str(limit), "BROADCAST_IN_FLIGHT": str(IN_FLIGHT)}
    log = (workdir / f"sender-{limit}.log").open("wb")
    started = time.perf_counter()
    sender = subprocess.Popen([sys.executable, "-m", "bot", "broadcast", "run",
                               "--until-done", "--poll", "0.5"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    while sender.poll() is None:
        cpu = cpu_seconds(sender)
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    log.close()
    if sender.returncode != 0:
        raise RuntimeError(f"the sender exited with {sender.returncode}: "
                           f"{(workdir / f'sender-{limit}.log').read_text()[-2000:]}")
    sent = (await client.get(f"{api}/_fake/sent", timeout=60)).json()
    stamps = sorted(message["at"] for message in sent)
    copies = Counter(message["chat_id"] for message in sent)
    once = (set(copies) == set(range(first_chat, first_chat + subscribers))
            and set(copies.values()) == {1})
    span = stamps[-1] - stamps[0]
    return Result(limit, subscribers, elapsed, (len(stamps) - 1) / span if span else 0.0,
                  _slowest_window(stamps), cpu / max(len(stamps), 1) * 1000, once)


def _slowest_window(stamps: list[float]) -> float | None:
    """The fewest messages a second in any whole WINDOW_SECONDS from the first message."""
    first, last = stamps[0], stamps[-1]
    windows = int((last - first) // WINDOW_SECONDS)
    if windows < 1:
        return None
    counts = Counter(int((stamp - first) // WINDOW_SECONDS) for stamp in stamps)
    return min(counts.get(window, 0) for window in range(windows)) / WINDOW_SECONDS


async def run(args: argparse.Namespace) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    fake = subprocess.Popen([sys.executable, "-m", "tests.channels.fake_telegram",
                             "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    plan = [(25, 25 * args.seconds), (args.high_rate, args.high_rate * args.high_seconds),
            (10_000, args.capacity)]
    results = []
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_until_up(client, f"{api}/_fake/health", fake)
            for number, (limit, subscribers) in enumerate(plan):
                print(f"sending to {subscribers:,} subscribers at a limit of {limit:,}/s...",
                      flush=True)
                results.append(await one_run(client, api, workdir, limit, subscribers,
                                             FIRST_CHAT + number * 1_000_000))
    finally:
        stop([fake])
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nTelegram announcement delivery against the fake Bot API ({IN_FLIGHT} in flight; "
          f"goal: >= {GOAL:.0%} of the limit, sustained)")
    print(f"{'limit/s':>8} {'subscribers':>12} {'seconds':>8} {'rate/s':>8} {'of limit':>9} "
          f"{'slowest 5 s':>12} {'CPU ms/msg':>11}  each once")
    lifted = results[-1].limit
    for result in results:
        window = f"{result.slowest_window:.1f}" if result.slowest_window is not None else "-"
        share = "lifted" if result.limit == lifted else f"{result.rate / result.limit:.1%}"
        print(f"{result.limit:>8,} {result.subscribers:>12,} {result.elapsed:>8.1f} "
              f"{result.rate:>8.1f} {share:>9} {window:>12} "
              f"{result.cpu_ms:>11.2f}  {'yes' if result.once else 'NO'}")
    default = results[0]
    minutes = TARGET_SUBSCRIBERS / default.rate / 60
    print(f"\nat the default 25/s: {default.rate:.1f} messages/s = {default.rate / 25:.1%} of "
          f"the limit; {TARGET_SUBSCRIBERS:,} Telegram subscribers would take "
          f"{minutes:.0f} min ({minutes / 60:.2f} h)")
    print("seconds and CPU include the sender's start (about 1 s of CPU importing); the rate "
          "is from the first message the fake took to the last")
    return all(result.once for result in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40,
                        help="about how long the run at the default 25/s lasts")
    parser.add_argument("--high-rate", type=int, default=200)
    parser.add_argument("--high-seconds", type=int, default=30)
    parser.add_argument("--capacity", type=int, default=20_000,
                        help="subscribers of the run with the limit lifted")
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
