"""Zalo channel throughput: `python -m benchmarks.zalo_bench [--events 2000] [--concurrency 50]`.

Starts two processes on loopback ports: the fake Zalo OA API and OAuth server
(tests/channels/fake_zalo.py), and the bot's Zalo webhook (a ZaloChannel over a fresh database
and the committed knowledge, behind its Starlette route, served by uvicorn). Then it posts
signed `user_send_text` events, one per citizen, `--concurrency` at a time with httpx, and
re-posts a tenth of them as Zalo does when it retries. It waits until the fake has received
every reply and prints:
- events per second end to end (first post to last reply received by the fake);
- how fast the webhook answered (Zalo wants 200 within 2 seconds);
- whether each event was answered exactly once: every citizen got exactly the messages of one
  turn for their question (as a fresh dialogue renders them), and no re-delivery got a reply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
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
APP_ID = "3608465248940903967"
OA_SECRET_KEY = "bench-oa-secret-key"
REDELIVERED_SHARE = 0.1
GOAL_EVENTS_PER_SECOND = 200


def bench_settings(db_path: Path, zalo_url: str):
    from bot.config import Settings
    from tests.channels.fake_zalo import APP_SECRET, FIRST_ACCESS_TOKEN, FIRST_REFRESH_TOKEN

    return replace(Settings.from_env({}), db_path=db_path, flood_messages=1_000_000_000,
                   zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET,
                   zalo_oa_secret_key=OA_SECRET_KEY, zalo_oa_access_token=FIRST_ACCESS_TOKEN,
                   zalo_oa_refresh_token=FIRST_REFRESH_TOKEN, zalo_api_base_url=zalo_url,
                   zalo_oauth_base_url=zalo_url)


def serve_channel(port: int, db_path: Path, zalo_url: str, profile: Path | None = None) -> None:
    """The bot's side: the Zalo webhook route over a real dialogue, as `bot serve` would run it."""
    from starlette.applications import Starlette

    from bot.channels.zalo import ZaloChannel, zalo_routes
    from bot.server import build_dialogue

    settings = bench_settings(db_path, zalo_url)
    channel = ZaloChannel(build_dialogue(db_path, settings), settings)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await channel.start()
        yield
        await channel.stop()

    app = Starlette(routes=zalo_routes(channel), lifespan=lifespan)
    serve_on_loopback(app, port, profile)


def expected_messages(questions: list[str]) -> dict[str, list[str]]:
    """What a citizen writing each question for the first time is sent on Zalo."""
    from bot.channels.zalo_render import channel_turn
    from bot.dialogue import offline_dialogue
    from bot.messages import Incoming
    from knowledge.base import Knowledge

    knowledge = Knowledge.load()
    dialogue = offline_dialogue(knowledge)
    return {question: channel_turn(dialogue.handle(Incoming("zalo", f"x{i}", text=question)),
                                   knowledge.handkept.text).messages
            for i, question in enumerate(questions)}


def signed_event(user: str, text: str, number: int) -> tuple[bytes, dict[str, str]]:
    from bot.channels.zalo import event_signature

    timestamp = str(int(time.time() * 1000))
    body = json.dumps({
        "app_id": APP_ID, "sender": {"id": user}, "recipient": {"id": "388613280878808645"},
        "event_name": "user_send_text", "message": {"text": text, "msg_id": f"bench{number}"},
        "timestamp": timestamp}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json",
               "X-ZEvent-Signature": event_signature(APP_ID, body, timestamp, OA_SECRET_KEY)}
    return body, headers


async def run(events: int, concurrency: int, seed: int, profile: Path | None) -> int:
    from benchmarks.web_load import question_pool

    rng = random.Random(seed)
    pool = question_pool()
    asked = {f"2{n:018d}": rng.choice(pool) for n in range(events)}
    print(f"rendering the expected replies of {len(set(asked.values()))} questions...")
    expected = expected_messages(sorted(set(asked.values())))
    total_expected = sum(len(expected[q]) for q in asked.values())

    workdir = Path(tempfile.mkdtemp(prefix="zalo-bench-"))
    zalo_port, bot_port = free_port(), free_port()
    zalo_url, bot_url = f"http://127.0.0.1:{zalo_port}", f"http://127.0.0.1:{bot_port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fake = subprocess.Popen([sys.executable, "-m", "tests.channels.fake_zalo",
                             "--port", str(zalo_port)], cwd=ROOT, env=env)
    bot = subprocess.Popen([sys.executable, "-m", "benchmarks.zalo_bench", "--serve-channel",
                            "--port", str(bot_port), "--db", str(workdir / "bot.db"),
                            "--zalo-url", zalo_url,
                            *(["--profile", str(profile)] if profile else [])],
                           cwd=ROOT, env=env)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_until_up(client, f"{zalo_url}/_fake/count", fake)
            # Any answer will do (405 to a GET): the bot is up once its route answers.
            await wait_until_up(client, f"{bot_url}/webhooks/zalo", bot)
            cpu_before = {"bot": cpu_seconds(bot), "fake": cpu_seconds(fake),
                          "poster": time.process_time()}
            status = await load(client, zalo_url, bot_url, asked, expected, total_expected,
                                concurrency, rng)
            used = {"bot": cpu_seconds(bot) - cpu_before["bot"],
                    "fake": cpu_seconds(fake) - cpu_before["fake"],
                    "poster": time.process_time() - cpu_before["poster"]}
            print("CPU per event: " + ", ".join(f"{name} {seconds / events * 1000:.1f} ms"
                                                for name, seconds in used.items())
                  + f" ({os.cpu_count()} cores)")
            return status
    finally:
        stop((bot, fake))
        shutil.rmtree(workdir, ignore_errors=True)


async def load(client: httpx.AsyncClient, zalo_url: str, bot_url: str, asked: dict[str, str],
               expected: dict[str, list[str]], total_expected: int, concurrency: int,
               rng: random.Random) -> int:
    users = list(asked)
    numbers = {user: n for n, user in enumerate(users)}
    redelivered = rng.sample(users, int(len(users) * REDELIVERED_SHARE))
    bodies: dict[str, tuple[bytes, dict[str, str]]] = {}
    # Each re-delivery goes a few places after its first delivery, as a retry would.
    order = list(users)
    for user in redelivered:
        order.insert(min(len(order), order.index(user) + rng.randint(1, 3 * concurrency)), user)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for user in order:
        queue.put_nowait(user)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []

    async def poster(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            user = queue.get_nowait()
            if user not in bodies:
                bodies[user] = signed_event(user, asked[user], numbers[user])
            body, headers = bodies[user]
            started = time.perf_counter()
            async with session.post(f"{bot_url}/webhooks/zalo", data=body,
                                    headers=headers) as response:
                answer = await response.json(content_type=None)
            latencies.append(time.perf_counter() - started)
            statuses[answer.get("status") or f"HTTP {response.status}"] += 1

    print(f"posting {len(users)} events from {len(users)} citizens (+{len(redelivered)} "
          f"re-deliveries), {concurrency} at a time...")
    started = time.perf_counter()
    # aiohttp, which costs a fraction of httpx's CPU per request: the load generator shares
    # the two cores with the bot, and should take as little of them as it can.
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(poster(session) for _ in range(concurrency)))
    posted = time.perf_counter() - started
    deadline = time.monotonic() + 60 + len(users) / 20
    received = 0
    while time.monotonic() < deadline:
        received = (await client.get(f"{zalo_url}/_fake/count")).json()["sent"]
        if received >= total_expected:
            break
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(1.0)   # anything answered twice would arrive now
    sent = (await client.get(f"{zalo_url}/_fake/sent")).json()

    got: dict[str, list[str]] = defaultdict(list)
    for message in sent:
        got[message["user_id"]].append(message["text"])
    wrong = [user for user in users if got.get(user, []) != expected[asked[user]]]
    refused = sum(1 for message in sent if message["error"] != 0)
    exactly_once = not wrong and refused == 0 and len(sent) == total_expected and \
        statuses == Counter({"accepted": len(users), "duplicate": len(redelivered)})
    rate = len(users) / elapsed
    latencies.sort()

    print(f"webhook answers: {dict(statuses)}; all posted in {posted:.1f} s; answer time "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms")
    print(f"replies: {len(sent)} messages received by the fake Zalo (expected "
          f"{total_expected}), {refused} refused")
    print(f"end to end: {len(users)} events in {elapsed:.1f} s = {rate:.0f} events/s "
          f"(goal >= {GOAL_EVENTS_PER_SECOND})")
    print(f"each event answered exactly once: {'yes' if exactly_once else 'NO'}")
    if wrong:
        sample = wrong[0]
        print(f"  {len(wrong)} citizens got other messages than one turn's, e.g. {sample}: "
              f"{len(got.get(sample, []))} messages, expected {len(expected[asked[sample]])}")
    return 0 if exactly_once else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="write the bot process's cProfile statistics to FILE")
    # Internal: the bot's process, started by the benchmark itself.
    parser.add_argument("--serve-channel", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--zalo-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_channel:
        serve_channel(args.port, args.db, args.zalo_url, args.profile)
        return
    if args.events < 1 or args.concurrency < 1:
        parser.error("--events and --concurrency must be at least 1")
    sys.exit(asyncio.run(run(args.events, args.concurrency, args.seed, args.profile)))


if __name__ == "__main__":
    main()
