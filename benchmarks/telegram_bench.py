"""Telegram channel throughput: `python -m benchmarks.telegram_bench [--updates 2000]`.

    python -m benchmarks.telegram_bench [--updates 2000] [--concurrency 50] [--telegram-limits]

Starts two processes on loopback ports: the fake Bot API (tests/channels/fake_telegram.py) and
the bot's Telegram webhook (a TelegramChannel in webhook mode over a fresh database and the
committed knowledge, behind its Starlette route, served by uvicorn, as `bot serve` runs it).
Then it posts N text updates, as Telegram would (each from its own chat, with the secret-token
header), `--concurrency` at a time, and waits until the fake has received every message. It
prints updates per second end to end (first webhook posted to last message received), CPU
used per update by each process, and whether every chat got exactly the messages a fresh
citizen gets for that question, each once.

PTB's AIORateLimiter holds a bot to Telegram's broadcast limit of 30 messages a second by
default, which would measure the limiter, not the bot: the benchmark keeps its retries but
lifts the limits unless --telegram-limits is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp
import httpx

from benchmarks.processes import (
    cpu_seconds,
    free_port,
    serve_on_loopback,
    stop,
    wait_until_up,
)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
FIRST_CHAT = 700_000_000
GOAL_PER_SECOND = 200


def serve_channel(port: int, db_path: Path, api_url: str, telegram_limits: bool,
                  profile: Path | None = None) -> None:
    """The bot's side: the Telegram webhook route over a real dialogue, as `bot serve` runs it."""
    from starlette.applications import Starlette
    from telegram.ext import AIORateLimiter

    from bot.channels.telegram import TelegramChannel, telegram_routes, telegram_running
    from bot.config import Settings
    from bot.server import build_dialogue
    from tests.channels.fake_telegram import TOKEN

    settings = replace(Settings.from_env({}), db_path=db_path, flood_messages=1_000_000_000,
                       telegram_bot_token=TOKEN, telegram_api_base_url=api_url)
    limiter = AIORateLimiter(max_retries=3) if telegram_limits else AIORateLimiter(
        overall_max_rate=0, group_max_rate=0, max_retries=3)
    channel = TelegramChannel(build_dialogue(db_path, settings), settings,
                              webhook_url="https://bench.example.gov.vn/webhooks/telegram",
                              secret_token=SECRET, rate_limiter=limiter)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with telegram_running(channel):
            yield

    app = Starlette(routes=telegram_routes(channel), lifespan=lifespan)
    serve_on_loopback(app, port, profile)


def expected_messages(questions: list[str]) -> dict[str, list[str]]:
    """What a citizen writing each question for the first time is sent on Telegram."""
    from bot.channels.telegram_render import CallbackPayloads, render_replies
    from bot.dialogue import offline_dialogue
    from bot.messages import Incoming
    from knowledge.base import Knowledge

    dialogue, payloads = offline_dialogue(Knowledge.load()), CallbackPayloads()
    return {question: [message.text for message in render_replies(
                dialogue.handle(Incoming("telegram", f"x{number}", text=question)), payloads)]
            for number, question in enumerate(questions)}


async def post_all(bot_url: str, updates: list[bytes], concurrency: int) -> Counter[int]:
    from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH

    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in updates:
        queue.put_nowait(body)
    statuses: Counter[int] = Counter()
    headers = {SECRET_HEADER: SECRET, "content-type": "application/json"}

    async def poster(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            async with session.post(f"{bot_url}{WEBHOOK_PATH}", data=queue.get_nowait(),
                                    headers=headers) as response:
                await response.read()
                statuses[response.status] += 1

    # aiohttp, which costs a fraction of httpx's CPU per request: the load generator shares
    # the two cores with the bot, and should take as little of them as it can.
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(poster(session) for _ in range(concurrency)))
    return statuses


async def wait_for_messages(client: httpx.AsyncClient, fake_url: str, total: int,
                            timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        sent = (await client.get(f"{fake_url}/_fake/stats")).json()["sent"]
        if sent >= total or time.monotonic() > deadline:
            return sent
        await asyncio.sleep(0.02)


async def run(args: argparse.Namespace) -> bool:
    from benchmarks.web_load import question_pool
    from tests.channels.fake_telegram import FakeTelegram

    rng = random.Random(args.seed)
    pool = question_pool()
    asked = [rng.choice(pool) for _ in range(args.updates)]
    print(f"rendering the expected replies of {len(set(asked))} questions...")
    expected = expected_messages(sorted(set(asked)))
    total = sum(len(expected[question]) for question in asked)
    builder = FakeTelegram()  # only to make updates in Telegram's shape
    updates = [json.dumps(builder.text_update(FIRST_CHAT + number, question),
                          ensure_ascii=False).encode() for number, question in enumerate(asked)]

    workdir = Path(tempfile.mkdtemp(prefix="telegram-bench-"))
    fake_port, bot_port = free_port(), free_port()
    fake_url, bot_url = f"http://127.0.0.1:{fake_port}", f"http://127.0.0.1:{bot_port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fake = subprocess.Popen([sys.executable, "-m", "tests.channels.fake_telegram",
                             "--port", str(fake_port)], cwd=ROOT, env=env)
    bot = subprocess.Popen([sys.executable, "-m", "benchmarks.telegram_bench",
                            "--serve-channel", "--port", str(bot_port),
                            "--db", str(workdir / "bot.db"), "--api-url", fake_url,
                            *(["--telegram-limits"] if args.telegram_limits else []),
                            *(["--profile", str(args.profile)] if args.profile else [])],
                           cwd=ROOT, env=env)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_until_up(client, f"{fake_url}/_fake/health", fake)
            await wait_until_up(client, f"{bot_url}/webhooks/telegram", bot)
            cpu_before = {"bot": cpu_seconds(bot), "fake Bot API": cpu_seconds(fake),
                          "poster": time.process_time()}
            started = time.perf_counter()
            statuses = await post_all(bot_url, updates, args.concurrency)
            posted = time.perf_counter() - started
            sent = await wait_for_messages(client, fake_url, total, args.timeout)
            elapsed = time.perf_counter() - started
            used = {"bot": cpu_seconds(bot) - cpu_before["bot"],
                    "fake Bot API": cpu_seconds(fake) - cpu_before["fake Bot API"],
                    "poster": time.process_time() - cpu_before["poster"]}
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
            messages = (await client.get(f"{fake_url}/_fake/sent")).json()
            stats = (await client.get(f"{fake_url}/_fake/stats")).json()
    finally:
        stop((bot, fake))
        shutil.rmtree(workdir, ignore_errors=True)

    received: dict[int, list[str]] = defaultdict(list)
    for message in messages:
        received[message["chat_id"]].append(message["text"])
    wrong = [number for number, question in enumerate(asked)
             if received.get(FIRST_CHAT + number) != expected[question]]
    answered_once = not wrong and len(messages) == total and set(statuses) == {200}
    print(f"updates:        {args.updates} from {args.updates} chats, {args.concurrency} at a "
          f"time ({'Telegram limits' if args.telegram_limits else 'no rate limits'})")
    print(f"HTTP statuses:  {dict(statuses)} (all posted in {posted:.2f} s)")
    print(f"messages sent:  {len(messages)} of {total} expected "
          f"({total / args.updates:.2f} an update); failed Bot API calls: {stats['failed']}")
    print(f"end to end:     {elapsed:.2f} s, {args.updates / elapsed:.0f} updates/s, "
          f"{sent / elapsed:.0f} messages/s (goal ≥ {GOAL_PER_SECOND} updates/s)")
    print("CPU per update: " + ", ".join(f"{name} {seconds / args.updates * 1000:.1f} ms"
                                         for name, seconds in used.items())
          + f" ({os.cpu_count()} cores)")
    print(f"every update answered exactly once: {'yes' if answered_once else 'NO'}"
          + (f" ({len(wrong)} chats got other messages, e.g. chat "
             f"{FIRST_CHAT + wrong[0]})" if wrong else ""))
    return answered_once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--telegram-limits", action="store_true",
                        help="keep AIORateLimiter's default 30 messages/s")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="write the bot process's cProfile statistics to FILE")
    # Internal: the bot's process, started by the benchmark itself.
    parser.add_argument("--serve-channel", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_channel:
        serve_channel(args.port, args.db, args.api_url, args.telegram_limits, args.profile)
        return
    if args.updates < 1 or args.concurrency < 1:
        parser.error("--updates and --concurrency must be at least 1")
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
