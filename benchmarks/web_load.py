"""Load run against the web chat API: `python -m benchmarks.web_load [--users 50] [--seconds 120]`.

Starts `python -m bot serve` on a free loopback port with a fresh database, then simulated
citizens (one asyncio task each, one message at a time, as a person does) send a realistic mix
for the given time: questions (with and without diacritics), presses of the buttons they were
just shown, petitions filled to the end, ratings, "my petitions". It prints messages per second,
latency percentiles and errors, then checks that nothing was lost: every petition code a
citizen was given is in the database, and every message sent was logged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from knowledge.normalize import fold

ROOT = Path(__file__).resolve().parent.parent
CODE_RE = re.compile(r"PA-\d{4}-\d{6}")


def question_pool() -> list[str]:
    """Questions from the repository's files, each also without diacritics."""
    questions = [line.strip() for line in
                 (ROOT / "benchmarks" / "questions.txt").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    holdout = yaml.safe_load((ROOT / "tests/knowledge/fixtures/holdout-questions.yaml")
                             .read_text(encoding="utf-8"))
    questions += [item["q"] for item in holdout]
    return sorted(set(questions) | {fold(q) for q in questions})


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    messages: int = 0
    petitions: list[str] = field(default_factory=list)


class Citizen:
    def __init__(self, number: int, client: httpx.AsyncClient, results: Results,
                 questions: list[str], rng: random.Random) -> None:
        self.user = f"load-{number}"
        self.client = client
        self.results = results
        self.questions = questions
        self.rng = rng
        self.buttons: list[str] = []

    async def send(self, text: str | None = None, button: str | None = None) -> list[dict]:
        body = {"user": self.user, **({"text": text} if text is not None else {"button": button})}
        started = time.perf_counter()
        try:
            response = await self.client.post("/api/chat", json=body)
            replies = response.json()["replies"] if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, KeyError):
            replies = None
        self.results.latencies.append((time.perf_counter() - started) * 1000)
        self.results.messages += 1
        if not replies:
            self.results.errors += 1
            return []
        self.buttons = [b["payload"] for reply in replies for b in reply.get("buttons", [])]
        return replies

    async def question(self) -> None:
        await self.send(text=self.rng.choice(self.questions))

    async def press(self) -> None:
        if self.buttons:
            await self.send(button=self.rng.choice(self.buttons))
        else:
            await self.send(text="menu")

    async def petition(self) -> None:
        steps: list[dict] = [
            {"text": "tôi muốn phản ánh"}, {"button": "flow:choice:yes"},
            {"text": f"Phản ánh thử tải số {self.rng.randint(1, 10**9)}: hồ sơ chậm trả"},
            {"button": "flow:skip"}, {"button": "flow:skip"}, {"button": "flow:skip"},
            {"text": "Nguyễn Văn Thử"}, {"text": "0912 345 678"},
            {"button": "flow:choice:send"},
        ]
        replies: list[dict] = []
        for step in steps:
            replies = await self.send(**step)
        codes = CODE_RE.findall(" ".join(reply["text"] for reply in replies))
        if codes:
            self.results.petitions.append(codes[0])

    async def rating(self) -> None:
        for step in ({"text": "đánh giá sự hài lòng"}, {"button": "flow:choice:visit"},
                     {"text": str(self.rng.randint(1, 5))}, {"button": "flow:skip"}):
            await self.send(**step)

    async def mine(self) -> None:
        await self.send(text="phản ánh của tôi")

    async def run(self, until: float) -> None:
        actions = [self.question] * 55 + [self.press] * 25 + [self.petition] * 8 + \
            [self.rating] * 6 + [self.mine] * 6
        while time.monotonic() < until:
            await self.rng.choice(actions)()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, db: Path, workers: int) -> subprocess.Popen:
    env = {**os.environ, "BOT_FLOOD_MESSAGES": "1000000"}
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--db", str(db)]
    if workers > 1:
        command += ["--workers", str(workers)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


async def wait_ready(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become ready")


async def load(base: str, users: int, seconds: float, seed: int) -> Results:
    results = Results()
    questions = question_pool()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        until = time.monotonic() + seconds
        citizens = [Citizen(n, client, results, questions, random.Random(seed + n))
                    for n in range(users)]
        await asyncio.gather(*(citizen.run(until) for citizen in citizens))
    return results


def check_nothing_lost(db: Path, results: Results) -> list[str]:
    from bot.store import Store

    problems = []
    with Store(db) as store:
        missing = [code for code in results.petitions if store.petition_by_code(code) is None]
        if missing:
            problems.append(f"{len(missing)} acknowledged petitions missing: {missing[:5]}")
        logged = store.db.execute(
            "SELECT count(*) FROM messages WHERE direction = 'in' AND user_id LIKE 'load-%'"
        ).fetchone()[0]
    answered = results.messages - results.errors
    if logged < answered:
        problems.append(f"{answered} messages answered but only {logged} logged")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "load.db"
        port = free_port()
        server = start_server(port, db, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(wait_ready(base, server))
            started = time.perf_counter()
            results = asyncio.run(load(base, args.users, args.seconds, args.seed))
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        problems = check_nothing_lost(db, results)
    latencies = sorted(results.latencies)
    print(f"Web API load: {args.users} users for {args.seconds:.0f} s, {args.workers} worker(s) "
          f"(goal: >= 300 messages/s, p99 < 100 ms, nothing lost)")
    print(f"  messages {results.messages:,}  per second {results.messages / elapsed:,.0f}  "
          f"errors {results.errors}")
    print(f"  latency ms: median {statistics.median(latencies):.1f}  "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f}  "
          f"p99 {latencies[int(0.99 * (len(latencies) - 1))]:.1f}  max {latencies[-1]:.1f}")
    print(f"  petitions acknowledged {len(results.petitions)}; "
          + ("nothing lost" if not problems else "; ".join(problems)))


if __name__ == "__main__":
    main()
