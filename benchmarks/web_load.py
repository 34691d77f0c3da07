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
import json
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

from knowledge.nlu.normalize import fold

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


class Connection:
    """One citizen's keep-alive HTTP/1.1 connection, written by hand: httpx costs more CPU per
    request than the server does, and on a 2-core machine the load would measure itself."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, json.loads(await self.reader.readexactly(length))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    messages: int = 0
    petitions: list[str] = field(default_factory=list)


class Citizen:
    def __init__(self, number: int, client: Connection, results: Results,
                 questions: list[str], rng: random.Random, interval: float) -> None:
        self.user = f"load-{number}"
        self.client = client
        self.results = results
        self.questions = questions
        self.rng = rng
        self.buttons: list[str] = []
        # Mean seconds between the starts of two messages: the citizen reads, then answers.
        # Pauses are drawn at random (a Poisson process across all citizens), and each
        # citizen starts at a random moment, so they do not all send at once. Zero sends as
        # fast as the server answers (a saturation run).
        self.interval = interval
        self._next = time.monotonic() + (rng.uniform(0, interval) if interval else 0.0)

    async def send(self, text: str | None = None, button: str | None = None) -> list[dict]:
        body = {"user": self.user, **({"text": text} if text is not None else {"button": button})}
        if self.interval:
            await asyncio.sleep(max(0.0, self._next - time.monotonic()))
            # The schedule does not slip when an answer is late: the citizen's next message
            # is due when it was due, so the rate offered stays the rate asked for.
            self._next += self.rng.expovariate(1 / self.interval)
        started = time.perf_counter()
        try:
            status, answer = await self.client.post_json("/api/chat", body)
            replies = answer["replies"] if status == 200 else None
        except (OSError, ValueError, KeyError, IndexError, asyncio.IncompleteReadError):
            replies = None
            await self.client.close()
            self.client.writer = None
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


async def load(port: int, users: int, seconds: float, seed: int, rate: float) -> Results:
    results = Results()
    questions = question_pool()
    until = time.monotonic() + seconds
    interval = users / rate if rate else 0.0
    citizens = [Citizen(n, Connection("127.0.0.1", port), results, questions,
                        random.Random(seed + n), interval) for n in range(users)]
    await asyncio.gather(*(citizen.run(until) for citizen in citizens))
    for citizen in citizens:
        await citizen.client.close()
    return results


def check_nothing_lost(db: Path, results: Results) -> list[str]:
    from bot.storage import Store

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
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes (2 on this 2-core machine)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=300.0,
                        help="messages per second offered by all users together; 0 = as fast "
                             "as the server answers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "load.db"
        port = free_port()
        server = start_server(port, db, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(wait_ready(base, server))
            started = time.perf_counter()
            results = asyncio.run(load(port, args.users, args.seconds, args.seed, args.rate))
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        problems = check_nothing_lost(db, results)
    latencies = sorted(results.latencies)
    offered = f"{args.rate:.0f} messages/s offered" if args.rate else "no pause (saturation)"
    print(f"Web API load: {args.users} users for {args.seconds:.0f} s, {offered}, "
          f"{args.workers} worker(s) (goal: >= 300 messages/s, p99 < 100 ms, nothing lost)")
    print(f"  messages {results.messages:,}  per second {results.messages / elapsed:,.0f}  "
          f"errors {results.errors}")
    print(f"  latency ms: median {statistics.median(latencies):.1f}  "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f}  "
          f"p99 {latencies[int(0.99 * (len(latencies) - 1))]:.1f}  max {latencies[-1]:.1f}")
    print(f"  petitions acknowledged {len(results.petitions)}; "
          + ("nothing lost" if not problems else "; ".join(problems)))


if __name__ == "__main__":
    main()
