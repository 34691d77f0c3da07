"""The staff side's two goals on a year's data: `python -m benchmarks.staff_bench`.

    .venv/bin/python -m benchmarks.staff_bench              # as `make bench` runs it
    .venv/bin/python -m benchmarks.staff_bench --petitions 20000 --messages 200000  # quicker

Fills a throw-away database the way a busy province's bot would have it after a year:
100,000 petitions (benchmarks/petition_desk_bench.py's filling), 1,000,000 chat messages
(kept the whole year: a heavier case than the default 90 days' retention), 300,000 answered
questions, 50,000 ratings, 30,000 unanswered questions, 80,000 citizens, and the reform news
with its deliveries once the announcement tables exist. Rows go in time order, as the bot
writes them, one transaction per table.

Then it measures:
1. A year's report (goal under 5 s): build_report for the year 2026 from a read-only
   connection in one transaction, as the staff reports page does, then the XLSX workbook and
   every chart as PNG, each timed, over a few rounds. Then once over HTTP, as an officer gets
   it from a running server: the reports page (which builds the report), the workbook and the
   five charts, one request after another.
2. The filtered inbox page (goal: p95 under 300 ms): `python -m bot serve` on the database,
   an officer logged in with the session cookie, GET /staff/petitions with a set of filter
   combinations, each several times, end to end over HTTP (routing, session, the query,
   the template). The first page after start, which classifies every petition by field,
   and the first search, which folds the words of every petition, are timed on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks.petition_desk_bench import NOW, fill, percentile
from benchmarks.processes import free_port, stop, wait_until_up
from bot.citizen_messages import CitizenMessenger
from bot.report_charts import all_charts
from bot.report_export import to_xlsx
from bot.reports import INTENT_LABELS, Period, build_report, catalog_fields
from bot.staff.accounts import Accounts
from bot.staff.petitions import UNASSIGNED, PetitionDesk
from bot.storage import Store
from bot.vocabulary import VIETNAM
from bot.working_days import default_calendar
from knowledge.base import Knowledge

ROOT = Path(__file__).resolve().parent.parent
PAGE_GOAL_MS = 300
REPORT_GOAL_S = 5.0
YEAR = 2026
OFFICER, PASSWORD = "lan", "mật khẩu đo tốc độ"
CHANNELS = ("telegram", "zalo", "web")
QUESTIONS = ("làm căn cước ở đâu", "dang ky tam tru can giay to gi", "lệ phí cấp sổ đỏ",
             "đổi bằng lái xe mất bao lâu", "công chứng hợp đồng mua bán nhà",
             "cắt khẩu cần những gì", "xin giấy phép xây dựng nhà ở riêng lẻ")
REPLY = ("Thủ tục này cần: tờ khai, giấy tờ tùy thân, giấy tờ chứng minh chỗ ở hợp pháp. "
         "Nộp tại bộ phận một cửa cấp xã.")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FOUND = re.compile(r'<p class="hint">([\d.]+) phản ánh')
CHART = re.compile(r'<img src="(/staff/reports/charts/[^"]+\.png\?[^"]+)"')


# --- filling ----------------------------------------------------------------------------


def times(rng: random.Random, count: int, start: datetime, end: datetime) -> Iterator[str]:
    """`count` ISO UTC times from `start` to `end`, in order, as the bot writes them."""
    step = (end - start) / count
    for number in range(count):
        yield (start + step * (number + rng.random())).isoformat(timespec="seconds")


def fill_users(store: Store, count: int,
               rng: random.Random) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """`count` citizens, a fifth of them subscribed to the reform news; returns the citizens
    and the subscribers, as (channel, user id)."""
    people = [(rng.choice(CHANNELS), f"u{number}") for number in range(count)]
    subscribers = [person for person in people if rng.random() < 0.2]
    subscribed = set(subscribers)
    start = datetime(YEAR - 1, 12, 1, tzinfo=UTC)
    rows = ((channel, user, '["cchc"]' if (channel, user) in subscribed else "[]", stamp,
             stamp, stamp)
            for (channel, user), stamp in zip(people, times(rng, count, start, NOW),
                                              strict=True))
    with store.writing() as db:
        db.conn.executemany(
            "INSERT INTO users (channel, user_id, topics, consent_at, created_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?, ?)", rows)
    return people, subscribers


def fill_conversations(store: Store, people: list[tuple[str, str]], procedures: list[str],
                       messages: int, answers: int, ratings: int, unanswered: int,
                       petitions: int, rng: random.Random) -> None:
    """Messages (a question and its reply), answered and unanswered questions and ratings
    over the year up to NOW, each table in one transaction."""
    start = datetime(YEAR, 1, 1, tzinfo=VIETNAM).astimezone(UTC)

    def message_rows() -> Iterator[tuple]:
        for stamp in times(rng, messages // 2, start, NOW):
            channel, user = rng.choice(people)
            code = rng.choice(procedures) if rng.random() < 0.6 else None
            yield (channel, user, "in", rng.choice(QUESTIONS), "procedure", code, stamp)
            yield (channel, user, "out", REPLY, "procedure", code, stamp)

    intents = [intent for intent in INTENT_LABELS if intent != "procedure"]

    def answer_rows() -> Iterator[tuple]:
        for stamp in times(rng, answers, start, NOW):
            channel, user = rng.choice(people)
            if rng.random() < 0.7:
                intent, code, aspect = "procedure", rng.choice(procedures), "documents"
            else:
                intent, code, aspect = rng.choice(intents), None, None
            mark = rng.random()
            helpful = 1 if mark < 0.08 else 0 if mark < 0.1 else None
            yield (channel, user, rng.choice(QUESTIONS), intent, code, aspect, helpful, stamp)

    def rating_rows() -> Iterator[tuple]:
        for stamp in times(rng, ratings, start, NOW):
            channel, user = rng.choice(people)
            subject = rng.choice(("visit", "procedure", "bot", "petition"))
            code = rng.choice(procedures) if subject == "procedure" else None
            petition = rng.randint(1, petitions) if subject == "petition" else None
            score = rng.choices((5, 4, 3, 2, 1), weights=(60, 31, 5, 3, 1))[0]
            yield (channel, user, subject, code, petition, score, stamp)

    def unanswered_rows() -> Iterator[tuple]:
        for stamp in times(rng, unanswered, start, NOW):
            channel, user = rng.choice(people)
            reason = rng.choices(("no_match", "out_of_scope", "unhelpful"), (6, 3, 1))[0]
            yield (channel, user, rng.choice(QUESTIONS), reason, stamp)

    for sql, rows in (
            ("INSERT INTO messages (channel, user_id, direction, text, intent, procedure_code, "
             "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", message_rows()),
            ("INSERT INTO answers (channel, user_id, question, intent, procedure_code, aspect, "
             "helpful, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", answer_rows()),
            ("INSERT INTO ratings (channel, user_id, subject, procedure_code, petition_id, "
             "score, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rating_rows()),
            ("INSERT INTO unanswered (channel, user_id, question, reason, created_at) "
             "VALUES (?, ?, ?, ?, ?)", unanswered_rows())):
        with store.writing() as db:
            db.conn.executemany(sql, rows)


def fill_announcements(store: Store, subscribers: list[tuple[str, str]], per_month: int,
                       rng: random.Random) -> int:
    """`per_month` news items a month, each sent to every subscriber; returns the deliveries
    written (0 while this bot has no announcement tables)."""
    present = {row["name"] for row in store.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
        "('announcements', 'announcement_deliveries')")}
    if len(present) < 2:
        return 0
    sent = [stamp for month in range(1, NOW.month + 1) for stamp in times(
        rng, per_month, datetime(YEAR, month, 1, tzinfo=UTC),
        min(NOW, datetime(YEAR, month, 28, tzinfo=UTC)))]
    deliveries = 0
    with store.writing() as db:
        for number, stamp in enumerate(sent, start=1):
            db.conn.execute(
                "INSERT INTO announcements (id, title, body, status, created_by, created_at, "
                "updated_at, started_at, finished_at) VALUES (?, ?, ?, 'sent', ?, ?, ?, ?, ?)",
                [number, f"Tin cải cách hành chính số {number}", "Nội dung tin.", OFFICER,
                 stamp, stamp, stamp, stamp])
            db.conn.executemany(
                "INSERT INTO announcement_deliveries (announcement_id, channel, user_id, "
                "status, updated_at, sent_at) VALUES (?, ?, ?, 'sent', ?, ?)",
                ((number, channel, user, stamp, stamp) for channel, user in subscribers))
            deliveries += len(subscribers)
    return deliveries


def fill_all(store: Store, knowledge: Knowledge, args: argparse.Namespace) -> None:
    rng = random.Random(7)
    procedures = sorted(knowledge.procedures)
    started = time.perf_counter()
    fill(store, procedures, args.petitions)
    people, subscribers = fill_users(store, args.users, rng)
    fill_conversations(store, people, procedures, args.messages, args.answers, args.ratings,
                       args.unanswered, args.petitions, rng)
    deliveries = fill_announcements(store, subscribers, 2, rng)
    accounts = Accounts(store)
    accounts.add(OFFICER, "Nguyễn Thị Lan", "officer", PASSWORD, agency="UBND phường An Bình")
    accounts.add("minh", "Trần Văn Minh", "officer", PASSWORD)
    news = f", {deliveries:,} news deliveries" if deliveries else ", no announcement tables"
    print(f"filled {args.petitions:,} petitions, {args.messages:,} messages, "
          f"{args.answers:,} answers, {args.ratings:,} ratings, {args.unanswered:,} "
          f"unanswered, {args.users:,} citizens{news} in {time.perf_counter() - started:.0f} s "
          f"({Path(store.path).stat().st_size / 2**20:,.0f} MB)")


# --- the year's report ------------------------------------------------------------------


def time_report(db: Path, rounds: int) -> None:
    """build_report, to_xlsx and every chart's PNG, as the staff reports page makes them."""
    started = time.perf_counter()
    fields = catalog_fields()
    print(f"\nYear report ({YEAR}, as of {NOW:%d/%m/%Y}); the catalog's fields read once per "
          f"process in {(time.perf_counter() - started) * 1000:.0f} ms")
    totals = []
    for number in range(1, rounds + 1):
        steps: list[tuple[str, float]] = []
        started = time.perf_counter()
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("BEGIN")
            report = build_report(conn, Period.whole_year(YEAR), fields=fields,
                                  today=NOW.astimezone(VIETNAM).date())
        finally:
            conn.close()
        steps.append(("build_report", time.perf_counter() - started))
        started = time.perf_counter()
        workbook = to_xlsx(report)
        steps.append(("XLSX", time.perf_counter() - started))
        started = time.perf_counter()
        charts = all_charts(report)
        steps.append((f"{len(charts)} charts drawn", time.perf_counter() - started))
        started = time.perf_counter()
        pngs = [chart.png() for chart in charts]
        steps.append(("as PNG", time.perf_counter() - started))
        total = sum(seconds for _, seconds in steps)
        totals.append(total)
        print(f"  round {number}: " + ", ".join(f"{name} {seconds:.2f} s"
                                                for name, seconds in steps)
              + f" — total {total:.2f} s ({len(workbook) // 1024} KB workbook, "
                f"{sum(map(len, pngs)) // 1024} KB of PNG)")
    print(f"  received {report.petitions.received:,} petitions, answered "
          f"{report.questions.answered:,} questions, {report.satisfaction.ratings:,} ratings")
    worst = max(totals)
    print(f"  year report, slowest round: {worst:.2f} s (goal < {REPORT_GOAL_S:.0f} s: "
          f"{'met' if worst < REPORT_GOAL_S else 'NOT met'})")


# --- over HTTP --------------------------------------------------------------------------


def inbox_cases(field: str, code: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Filter combinations an officer uses, as the inbox form puts them in the URL."""
    today = NOW.astimezone(VIETNAM).date()
    open_ = [("status", "new"), ("status", "in_progress"), ("status", "waiting")]
    return [
        ("everything, urgent first", []),
        ("everything, newest first", [("order", "newest")]),
        ("open", open_),
        ("overdue", [("due", "overdue")]),
        ("overdue or nearly due", [("due", "attention")]),
        ("new, one agency", [("status", "new"), ("agency", "An Bình")]),
        ("one field", [("field", field)]),
        ("assigned to lan", [("assigned", OFFICER)]),
        ("new, unassigned", [("status", "new"), ("assigned", UNASSIGNED)]),
        ("last 30 days, zalo", [("from", (today - timedelta(days=30)).isoformat()),
                                ("to", today.isoformat()), ("channel", "zalo")]),
        ("search words", [("q", "lấn chiếm")]),
        ("search a word, no marks", [("q", "den")]),
        ("search a phone", [("q", "0912")]),
        ("search a code", [("q", code)]),
        ("open, search, one agency", [*open_, ("q", "rác thải"), ("agency", "Tân Phú")]),
        ("page 40 of open", [*open_, ("page", "40")]),
    ]


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen:
    # Messages are kept past the default 90 days here, so that the server does not start by
    # deleting most of the year the report was just measured on.
    env = {**os.environ, "BOT_MESSAGE_RETENTION_DAYS": "3650"}
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--db", str(db)], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


async def log_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/staff/login")
    token = CSRF.search(page.text)
    response = await client.post("/staff/login", data={
        "username": OFFICER, "password": PASSWORD, "csrf_token": token[1] if token else ""})
    if response.status_code != 303:
        raise RuntimeError(f"logging in as {OFFICER} failed: {response.status_code}")


async def get(client: httpx.AsyncClient, url: str,
              params: list[tuple[str, str]] | None = None) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.get(url, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {response.url} answered {response.status_code}")
    return response, elapsed


async def time_over_http(base: str, server: subprocess.Popen, field: str, code: str,
                         rounds: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await wait_until_up(client, f"{base}/healthz", server)
        await log_in(client)

        print(f"\nYear report over HTTP, once (GET /staff/reports?period={YEAR} and its files)")
        _, warm_ms = await get(client, "/staff/reports", [("period", f"{YEAR}-Q1")])
        print(f"  first report after start (Quý I; the server reads the catalog's fields once) "
              f"{warm_ms / 1000:.2f} s")
        page, page_ms = await get(client, "/staff/reports", [("period", str(YEAR))])
        _, xlsx_ms = await get(client, "/staff/reports/export.xlsx", [("period", str(YEAR))])
        started = time.perf_counter()
        charts = CHART.findall(page.text)
        for chart in charts:
            await get(client, chart.replace("&amp;", "&"))
        charts_ms = (time.perf_counter() - started) * 1000
        total = (page_ms + xlsx_ms + charts_ms) / 1000
        print(f"  page (builds the report) {page_ms / 1000:.2f} s, XLSX {xlsx_ms / 1000:.2f} s, "
              f"{len(charts)} chart PNGs {charts_ms / 1000:.2f} s — total {total:.2f} s "
              f"(goal < {REPORT_GOAL_S:.0f} s: {'met' if total < REPORT_GOAL_S else 'NOT met'})")

        print(f"\nInbox page over HTTP (GET /staff/petitions, {rounds} rounds each)")
        _, first_ms = await get(client, "/staff/petitions")
        _, search_ms = await get(client, "/staff/petitions", [("q", "đèn đường")])
        print(f"  first page after start (fills every petition's field) {first_ms:.0f} ms; "
              f"first search (folds every petition's words) {search_ms:.0f} ms")
        everything: list[float] = []
        for name, params in inbox_cases(field, code):
            timings = []
            for _ in range(rounds):
                response, elapsed = await get(client, "/staff/petitions", params)
                timings.append(elapsed)
            everything += timings
            found = FOUND.search(response.text)
            print(f"  {name:28} {found[1] if found else '?':>7} found  median "
                  f"{statistics.median(timings):6.1f} ms  p95 {percentile(timings, 0.95):6.1f} ms")
        p95 = percentile(everything, 0.95)
        print(f"  {'all':28} {'':>13}  median {statistics.median(everything):6.1f} ms  "
              f"p95 {p95:6.1f} ms (goal < {PAGE_GOAL_MS} ms: "
              f"{'met' if p95 < PAGE_GOAL_MS else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--petitions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--answers", type=int, default=300_000)
    parser.add_argument("--ratings", type=int, default=50_000)
    parser.add_argument("--unanswered", type=int, default=30_000)
    parser.add_argument("--users", type=int, default=80_000)
    parser.add_argument("--rounds", type=int, default=10, help="requests per inbox filter")
    parser.add_argument("--report-rounds", type=int, default=3)
    args = parser.parse_args()
    knowledge = Knowledge.load()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        with Store(db) as store:
            fill_all(store, knowledge, args)
            field = PetitionDesk(store, knowledge, CitizenMessenger(store),
                                 default_calendar()).fields()[0]
            code = store.rows("SELECT code FROM petitions WHERE id = ?",
                              [args.petitions // 2])[0]["code"]
        time_report(db, args.report_rounds)
        port = free_port()
        server = start_server(db, port, Path(folder) / "server.log")
        try:
            asyncio.run(time_over_http(f"http://127.0.0.1:{port}", server, field, code,
                                       args.rounds))
        except Exception:
            print((Path(folder) / "server.log").read_text(errors="replace")[-3000:],
                  file=sys.stderr)
            raise
        finally:
            stop([server])


if __name__ == "__main__":
    main()
