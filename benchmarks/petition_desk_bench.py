"""Speed of the staff inbox on a large petition table: `python -m benchmarks.petition_desk_bench`.

Fills a throw-away database with `--petitions` petitions (100,000 by default: statuses, due
dates, agencies, fields, channels and assignments spread like a busy province's year), then
times PetitionDesk.inbox() for a set of filter combinations, each several times, and prints
the median and p95 per combination and over all of them. The first call, which fills the
`field` column from the catalog for every petition, and the first search, which folds the
words of every petition, are timed on their own.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.citizen_messages import CitizenMessenger
from bot.staff.petitions import UNASSIGNED, InboxFilters, PetitionDesk
from bot.storage import Store
from bot.vocabulary import VIETNAM
from bot.working_days import default_calendar
from knowledge.base import Knowledge

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
YEAR = timedelta(days=365)
STATUSES = ["new"] * 3 + ["in_progress"] * 3 + ["waiting", "answered", "closed", "closed",
                                                "closed", "transferred", "duplicate"]
AGENCIES = ["UBND phường An Bình", "UBND xã Tân Phú", "Sở Tài nguyên và Môi trường",
            "Công an tỉnh", "Sở Giao thông vận tải", None]
WORDS = ("đèn đường hỏng rác thải ngập nước hồ sơ chậm cán bộ thái độ sổ đỏ căn cước hộ khẩu "
         "giấy phép xây dựng tiếng ồn công trình lấn chiếm vỉa hè").split()


def fill(store: Store, procedures: list[str], count: int, seed: int = 5,
         now: datetime = NOW) -> None:
    """`count` petitions received over the year before `now`, written as the bot writes them:
    in the order they came in (ids and PA-YYYY-NNNNNN codes follow time), in one transaction;
    those answered or closed carry their answer and when it was given."""
    rng = random.Random(seed)
    start = now - YEAR
    step = YEAR / count
    rows = []
    for number in range(1, count + 1):
        created = start + step * (number - 1 + rng.random())
        status = rng.choice(STATUSES)
        due = created.date() + timedelta(days=14)
        stamp = created.isoformat(timespec="seconds")
        answer = answered_at = closed_at = None
        updated = stamp
        if status in ("answered", "closed"):
            resolved = min(now, created + timedelta(hours=rng.uniform(2, 30 * 24)))
            answer = "Cơ quan đã kiểm tra và xử lý nội dung phản ánh."
            answered_at = updated = resolved.isoformat(timespec="seconds")
            closed_at = answered_at if status == "closed" else None
        rows.append((
            f"PA-{created.astimezone(VIETNAM).year}-{number:06d}",
            rng.choice(["telegram", "zalo", "web"]),
            str(rng.randint(1, 20_000)), f"Nguyễn Văn {rng.choice('ABCDEGHKLMNPQ')}",
            f"09{rng.randint(10_000_000, 99_999_999)}",
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 60))),
            rng.choice(AGENCIES), rng.choice(procedures) if rng.random() < 0.6 else None,
            status, due.isoformat(), stamp, updated,
            rng.choice(["lan", "minh", None, None]), answer, answered_at, closed_at,
        ))
    with store.writing() as db:
        db.conn.executemany(
            "INSERT INTO petitions (code, channel, user_id, name, phone, content, agency, "
            "procedure_code, status, due_date, created_at, updated_at, assigned_to, answer, "
            "answered_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows)


def cases(desk: PetitionDesk) -> list[tuple[str, InboxFilters]]:
    field = desk.fields()[0]
    month = NOW.date() - timedelta(days=30)
    return [
        ("everything, urgent first", InboxFilters()),
        ("everything, newest first", InboxFilters(order="newest")),
        ("open", InboxFilters(statuses=("new", "in_progress", "waiting"))),
        ("overdue", InboxFilters(overdue=True)),
        ("nearly due", InboxFilters(nearly_due=True)),
        ("new, one agency", InboxFilters(statuses=("new",), agency="An Bình")),
        ("one field", InboxFilters(field=field)),
        ("assigned to lan", InboxFilters(assigned_to="lan")),
        ("unassigned, open", InboxFilters(statuses=("new",), assigned_to=UNASSIGNED)),
        ("last 30 days, zalo", InboxFilters(received_from=month, received_to=NOW.date(),
                                            channel="zalo")),
        ("search words", InboxFilters(search="lấn chiếm")),
        ("search a word, no marks", InboxFilters(search="den")),
        ("search a phone", InboxFilters(search="0912")),
        ("search a code", InboxFilters(search="PA-2026-050000")),
        ("page 40 of open", InboxFilters(statuses=("new", "in_progress", "waiting"))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--petitions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    knowledge = Knowledge.load()
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "bench.db") as store:
        fill(store, sorted(knowledge.procedures), args.petitions)
        desk = PetitionDesk(store, knowledge, CitizenMessenger(store), default_calendar(),
                            clock=lambda: NOW)
        started = time.perf_counter()
        filled = desk.fill_fields()
        print(f"{args.petitions:,} petitions; first look filled the field of {filled:,} in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
        started = time.perf_counter()
        desk.search.refresh()
        print(f"first search folded the words of every petition in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
        everything: list[float] = []
        for name, filters in cases(desk):
            page = 40 if name.startswith("page 40") else 1
            timings = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                result = desk.inbox(filters, page=page)
                timings.append((time.perf_counter() - started) * 1000)
            everything += timings
            print(f"{name:28} {result.total:>7,} found  median {statistics.median(timings):6.1f}"
                  f" ms  p95 {percentile(timings, 0.95):6.1f} ms")
        print(f"{'all':28} {'':>13}  median {statistics.median(everything):6.1f} ms  "
              f"p95 {percentile(everything, 0.95):6.1f} ms")
        print(json.dumps({"p95_ms": round(percentile(everything, 0.95), 1),
                          "as_of": date.today().isoformat()}))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


if __name__ == "__main__":
    main()
