"""Throughput of the Telegram channel in webhook mode: `python -m benchmarks.telegram_bench`.

    python -m benchmarks.telegram_bench [--updates 2000] [--concurrency 50] [--via direct|http]

Starts the fake Bot API (tests/channels/fake_telegram.py) as its own process, so that its CPU
is not counted as the bot's, and a TelegramChannel in webhook mode over a fresh database. Then
N text updates (questions from benchmarks/questions.txt, each from its own chat) are posted,
`--concurrency` at a time, either straight to TelegramChannel.process_webhook (`direct`, the
default: the channel, the dialogue and the Bot API calls) or over HTTP to the Starlette route
POST /webhooks/telegram served by uvicorn in this process (`http`: the same plus the inbound
HTTP, with the httpx client also in this process). It waits until every update has got all
its messages, prints updates per second end to end, and checks that every chat got exactly
the messages a fresh citizen gets for that question, each once.

PTB's AIORateLimiter holds a bot to Telegram's broadcast limit of 30 messages a second by
default, which would measure the limiter, not the bot: the benchmark keeps its retries but
lifts the limits unless --telegram-limits is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from telegram.ext import AIORateLimiter

from bot.channels.telegram import (
    CONCURRENT_UPDATES,
    SECRET_HEADER,
    WEBHOOK_PATH,
    TelegramChannel,
    telegram_routes,
)
from bot.channels.telegram_render import CallbackPayloads, render_reply
from bot.config import Settings
from bot.dialogue import Dialogue, offline_dialogue
from bot.messages import Incoming
from bot.store import Store
from knowledge.base import Knowledge
from tests.channels.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
FIRST_CHAT = 700_000_000
GOAL_PER_SECOND = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def questions() -> list[str]:
    lines = (ROOT / "benchmarks" / "questions.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def start_fake(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.channels.fake_telegram", "--port", str(port)], cwd=ROOT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_fake/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the fake Bot API did not start")


def expected_texts(knowledge: Knowledge, asked: list[str]) -> dict[str, list[str]]:
    """What a fresh citizen is sent for each question, as Telegram messages."""
    dialogue, payloads = offline_dialogue(knowledge), CallbackPayloads()
    expected = {}
    for number, question in enumerate(sorted(set(asked))):
        replies = dialogue.handle(Incoming("telegram", f"expected-{number}", text=question))
        expected[question] = [message.text for reply in replies
                              for message in render_reply(reply, payloads)]
    return expected


async def post_all(channel: TelegramChannel, updates: list[dict], concurrency: int,
                   via: str, port: int) -> list[int]:
    bodies = [json.dumps(update, ensure_ascii=False).encode() for update in updates]
    headers = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    statuses: list[int] = []

    async def direct_worker() -> None:
        while not queue.empty():
            statuses.append(await channel.process_webhook(headers, queue.get_nowait()))

    async def http_worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            response = await client.post(WEBHOOK_PATH, content=queue.get_nowait(),
                                         headers=headers)
            statuses.append(response.status_code)

    if via == "direct":
        await asyncio.gather(*(direct_worker() for _ in range(concurrency)))
        return statuses
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=30) as client:
        await asyncio.gather(*(http_worker(client) for _ in range(concurrency)))
    return statuses


async def wait_for_messages(fake_url: str, total: int, timeout: float) -> int:
    async with httpx.AsyncClient(base_url=fake_url) as client:
        deadline = time.monotonic() + timeout
        while True:
            sent = (await client.get("/_fake/stats")).json()["sent"]
            if sent >= total or time.monotonic() > deadline:
                return sent
            await asyncio.sleep(0.05)


async def run(args: argparse.Namespace) -> bool:
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    fake_process = start_fake(fake_port)
    try:
        knowledge = Knowledge.load()
        pool = questions()
        asked = [pool[number % len(pool)] for number in range(args.updates)]
        expected = expected_texts(knowledge, asked)
        total = sum(len(expected[question]) for question in asked)

        database = Path(tempfile.mkdtemp(prefix="telegram-bench-")) / "bot.db"
        settings = replace(Settings.from_env({}), db_path=database, telegram_bot_token=TOKEN,
                           telegram_api_base_url=fake_url)
        limiter = AIORateLimiter(max_retries=3) if args.telegram_limits else AIORateLimiter(
            overall_max_rate=0, group_max_rate=0, max_retries=3)
        dialogue = Dialogue(knowledge, Store(database), settings)
        channel = TelegramChannel(dialogue, settings, secret_token=SECRET, rate_limiter=limiter,
                                  webhook_url="https://bench.example.gov.vn/webhooks/telegram",
                                  concurrent_updates=args.pool, connection_pool_size=args.pool)
        builder = FakeTelegram()  # only to make updates in Telegram's shape
        updates = [builder.text_update(FIRST_CHAT + number, question)
                   for number, question in enumerate(asked)]

        server = None
        bot_port = free_port()
        await channel.start()
        if args.via == "http":
            server = uvicorn.Server(uvicorn.Config(
                Starlette(routes=telegram_routes(channel)), host="127.0.0.1", port=bot_port,
                log_level="warning", access_log=False, lifespan="off"))
            serving = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.01)
        try:
            own_cpu_at_start = time.process_time()
            started = time.perf_counter()
            statuses = await post_all(channel, updates, args.concurrency, args.via, bot_port)
            posted = time.perf_counter() - started
            sent = await wait_for_messages(fake_url, total, timeout=args.timeout)
            elapsed = time.perf_counter() - started
        finally:
            if server is not None:
                server.should_exit = True
                await serving
            await channel.stop()
            dialogue.store.close()

        received: dict[int, list[str]] = defaultdict(list)
        for message in httpx.get(f"{fake_url}/_fake/sent", timeout=30).json():
            received[message["chat_id"]].append(message["text"])
        wrong = [number for number, question in enumerate(asked)
                 if received.get(FIRST_CHAT + number) != expected[question]]
        stats = httpx.get(f"{fake_url}/_fake/stats").json()
        fake_cpu = cpu_seconds(fake_process.pid)
        own_cpu = time.process_time() - own_cpu_at_start
    finally:
        fake_process.terminate()
        fake_process.wait(timeout=10)

    rate = args.updates / elapsed
    print(f"updates:        {args.updates} from {args.updates} chats, {args.concurrency} at a "
          f"time, via {args.via} ({'Telegram limits' if args.telegram_limits else 'no limits'})")
    print(f"HTTP statuses:  {dict(Counter(statuses))} (all posted in {posted:.2f} s)")
    print(f"messages sent:  {sent} of {total} expected; failed Bot API calls: {stats['failed']}")
    print(f"end to end:     {elapsed:.2f} s, {rate:.0f} updates/s, {sent / elapsed:.0f} "
          f"messages/s (goal ≥ {GOAL_PER_SECOND} updates/s)")
    print(f"CPU:            bot process {own_cpu:.1f} s, fake Bot API process "
          f"{fake_cpu:.1f} s (2 cores)")
    answered_once = not wrong and sent == total and set(statuses) == {200}
    print(f"every update answered exactly once: {'yes' if answered_once else 'NO'}"
          + (f" ({len(wrong)} chats got other messages, e.g. chat "
             f"{FIRST_CHAT + wrong[0]})" if wrong else ""))
    return answered_once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--via", choices=("direct", "http"), default="direct")
    parser.add_argument("--telegram-limits", action="store_true",
                        help="keep AIORateLimiter's default 30 messages/s")
    parser.add_argument("--pool", type=int, default=CONCURRENT_UPDATES,
                        help="updates handled at once, and connections to the Bot API")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
