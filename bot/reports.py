"""The figures the provincial administrative-reform communication plans ask for each quarter.

Example:
    from bot.reports import Period, build_report
    from bot.storage import Store

    with Store("var/bot.db") as store:
        report = build_report(store.db, Period.parse("2026-Q1"))
    print(report.period.label)               # Quý I năm 2026
    print(report.petitions.received, report.petitions.resolved_in_time)
    print(report.satisfaction.rate)          # 0.93 (share of ratings 4–5), or None

Periods are days of the Vietnamese calendar (UTC+7); the database keeps ISO-8601 UTC strings,
so a period is turned into a UTC string range once and every query filters `created_at` on it
(index-friendly), grouping in SQL with `'+7 hours'` so weeks and months are Vietnamese ones.

What counts (the definitions the exports and charts rely on):
- questions answered: rows of `answers` created in the period; their topic is the field
  (lĩnh vực) of their procedure, or the intent when there is no procedure;
- petitions received: created in the period; resolved: status answered/closed with the answer
  (else the closing) time in the period; in time when that Vietnamese day is on or before the
  due date; overdue: still open at the end of a day that is after its due date (transferred and
  duplicate petitions are nobody's backlog here);
- satisfaction: ratings 4–5 among all ratings in the period; the provincial goal is 90%;
- announcements: the reform news published and their deliveries, once those tables exist.
"""

from __future__ import annotations

import re
import sqlite3
import statistics
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlite_utils import Database

from bot.storage import Store
from bot.storage import report_queries as queries
from bot.vocabulary import (
    CHANNELS,
    INTENTS,
    OPEN_PETITION_STATUSES,
    PETITION_STATUSES,
    RATING_SUBJECTS,
    VIETNAM,
)

SATISFACTION_GOAL = 0.9
NEWS_PER_MONTH_GOAL = 2
OPEN_STATUSES = OPEN_PETITION_STATUSES
RESOLVED_STATUSES = ("answered", "closed")
# Left the agency's hands without an answer from it: not resolved, and never overdue here.
HANDED_OFF_STATUSES = ("transferred", "duplicate")

# Labels for staff-facing reports (citizen-facing texts live in knowledge/locales).
STATUS_LABELS = PETITION_STATUSES.labels()
CHANNEL_LABELS = CHANNELS.labels()
SUBJECT_LABELS = RATING_SUBJECTS.labels()
REASON_LABELS = {"no_match": "Không có trong dữ liệu thủ tục", "out_of_scope": "Ngoài phạm vi",
                 "unhelpful": "Người dân đánh giá chưa hữu ích"}
# The topic of an answer that is not about one procedure.
INTENT_LABELS = {**INTENTS.labels(), "faq": "Câu hỏi thường gặp"}
UNKNOWN_FIELD = "Chưa phân loại"
UNKNOWN_AGENCY = "Chưa giao cơ quan"
# Days from receipt to resolution, by upper bound (inclusive): "3–7 ngày" is more than 3 days
# and at most 7.
RESOLVE_DAY_BUCKETS = ((1, "≤ 1 ngày"), (3, "1–3 ngày"), (7, "3–7 ngày"), (15, "7–15 ngày"),
                       (30, "15–30 ngày"), (None, "> 30 ngày"))

# --- periods ----------------------------------------------------------------------------

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PERIOD_FORMS = "2026-Q1 … 2026-Q4, 2026-H1, 2026-9M, 2026 or 2026-03-01..2026-04-15"
_YEAR_PART = re.compile(r"^(\d{4})(?:-(Q[1-4]|H1|9M))?$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """Days of the Vietnamese calendar, `start` to `end` inclusive, with the report's name."""

    start: date
    end: date
    label: str
    key: str

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a period must not end ({self.end}) before it starts "
                             f"({self.start})")

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        if number not in _ROMAN:
            raise ValueError(f"a quarter is 1, 2, 3 or 4, not {number!r}")
        first_month = 3 * (number - 1) + 1
        return cls(date(year, first_month, 1), _month_end(year, first_month + 2),
                   f"Quý {_ROMAN[number]} năm {year}", f"{year}-Q{number}")

    @classmethod
    def first_half(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 6, 30), f"6 tháng đầu năm {year}",
                   f"{year}-H1")

    @classmethod
    def nine_months(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 9, 30), f"9 tháng năm {year}", f"{year}-9M")

    @classmethod
    def whole_year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), f"Năm {year}", f"{year}")

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        return cls(start, end, f"Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
                   f"{start.isoformat()}..{end.isoformat()}")

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        """The quarter `day` falls in (the CLI's default: the quarter so far)."""
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2026-Q1", "2026-H1", "2026-9M", "2026" or "2026-03-01..2026-04-15"."""
        cleaned = text.strip()
        try:
            if match := _YEAR_PART.match(cleaned):
                year, part = int(match[1]), (match[2] or "").upper()
                if year < 1:
                    raise ValueError(f"year {year} is out of range")
                if part.startswith("Q"):
                    return cls.quarter(year, int(part[1]))
                if part == "H1":
                    return cls.first_half(year)
                if part == "9M":
                    return cls.nine_months(year)
                return cls.whole_year(year)
            if match := _RANGE.match(cleaned):
                return cls.between(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        except ValueError as error:
            raise ValueError(f"period {text!r}: {error}") from error
        raise ValueError(f"period {text!r} is not understood: write {_PERIOD_FORMS}")

    def utc_range(self, last_day: date | None = None) -> tuple[str, str]:
        """[first moment, moment after the last day) in UTC, as the database writes times."""
        return _utc_start(self.start), _utc_start((last_day or self.end) + timedelta(days=1))

    def weeks(self, last_day: date | None = None) -> list[date]:
        """The Mondays of the weeks that touch the period (up to `last_day`)."""
        until = last_day or self.end
        monday = _monday(self.start)
        result: list[date] = []
        while self.start <= until and monday <= until:
            result.append(monday)
            monday += timedelta(days=7)
        return result

    def months(self, last_day: date | None = None) -> list[date]:
        """The first days of the months that touch the period (up to `last_day`)."""
        until = last_day or self.end
        month = self.start.replace(day=1)
        result: list[date] = []
        while self.start <= until and month <= until:
            result.append(month)
            month = _next_month(month)
        return result


def _month_end(year: int, month: int) -> date:
    return _next_month(date(year, month, 1)) - timedelta(days=1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _utc_start(day: date) -> str:
    """The first moment of a Vietnamese day, written the way bot/storage writes times."""
    local = datetime.combine(day, time(), VIETNAM)
    return local.astimezone(UTC).isoformat(timespec="seconds")


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySeries:
    """Values per week: `values[name][i]` belongs to the week starting Monday `weeks[i]`."""

    weeks: tuple[date, ...]
    values: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Share:
    """How many of `total` were satisfied (ratings 4–5)."""

    total: int
    satisfied: int

    @property
    def rate(self) -> float | None:
        return _rate(self.satisfied, self.total)


@dataclass(frozen=True)
class QuestionFigures:
    answered: int
    by_channel: dict[str, int]
    by_topic: dict[str, int]
    weekly_by_topic: WeeklySeries
    helpful: int
    unhelpful: int
    unanswered: dict[str, int]          # reason -> count
    incoming_messages: dict[str, int]   # channel -> messages citizens sent
    users: dict[str, int]               # channel -> citizens who wrote

    @property
    def helpful_rate(self) -> float | None:
        return _rate(self.helpful, self.helpful + self.unhelpful)


@dataclass(frozen=True)
class PetitionFigures:
    received: int
    by_status: dict[str, int]           # of those received, their status now
    by_channel: dict[str, int]
    by_field: dict[str, int]
    by_agency: dict[str, int]
    resolved: int
    resolved_in_time: int
    resolved_late: int
    overdue: int                        # open and past due at the end of the report's day
    open_in_time: int                   # open and not yet due then
    transferred: int
    duplicates: int
    mean_days_to_resolve: float | None
    median_days_to_resolve: float | None
    days_to_resolve: dict[str, int]     # bucket label -> petitions resolved in the period
    median_days_by_month: dict[date, float]
    weekly: WeeklySeries                # "received", "resolved", "overdue"

    @property
    def in_time_rate(self) -> float | None:
        return _rate(self.resolved_in_time, self.resolved)


@dataclass(frozen=True)
class SatisfactionFigures:
    ratings: int
    satisfied: int
    by_score: dict[int, int]
    by_subject: dict[str, Share]
    by_channel: dict[str, Share]
    monthly: dict[date, Share]
    goal: float = SATISFACTION_GOAL

    @property
    def rate(self) -> float | None:
        return _rate(self.satisfied, self.ratings)

    @property
    def meets_goal(self) -> bool | None:
        rate = self.rate
        return None if rate is None else rate >= self.goal


@dataclass(frozen=True)
class AnnouncementFigures:
    recorded: bool                      # False until the announcement tables exist
    published: int
    monthly: dict[date, int]
    deliveries: int                     # messages that reached a citizen
    reached_users: int
    subscribers: dict[str, int]         # channel -> reachable subscribers now
    goal_per_month: int = NEWS_PER_MONTH_GOAL

    @property
    def months_meeting_goal(self) -> int:
        return sum(1 for count in self.monthly.values() if count >= self.goal_per_month)


@dataclass(frozen=True)
class Report:
    period: Period
    as_of: date                         # the period's last day, or today if that is earlier
    questions: QuestionFigures
    petitions: PetitionFigures
    satisfaction: SatisfactionFigures
    announcements: AnnouncementFigures


def build_report(
    db: Database | sqlite3.Connection | Store,
    period: Period,
    *,
    fields: Mapping[str, str] | None = None,
    today: date | None = None,
) -> Report:
    """Every figure of the report for `period`, as of `today` (Vietnamese date).

    `db` is a sqlite_utils Database, a sqlite3 connection or a Store. `fields` maps procedure
    codes to their field (lĩnh vực); by default the imported catalog's (see catalog_fields).
    A report on a busy server is best built on a connection of its own.
    """
    conn = queries.connection_of(db)
    today = today or datetime.now(VIETNAM).date()
    # Before the period starts, as_of falls before it: every range is empty, every figure 0.
    as_of = min(period.end, today)
    fields = catalog_fields() if fields is None else fields
    return Report(
        period=period,
        as_of=as_of,
        questions=_questions(conn, period, as_of, fields),
        petitions=_petitions(conn, period, as_of, fields),
        satisfaction=_satisfaction(conn, period, as_of),
        announcements=announcement_figures(conn, period, as_of),
    )


def fields_of(procedures: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Procedure code -> field, from records keyed by code (`Knowledge.procedures`)."""
    return {code: record["field"] for code, record in procedures.items()
            if record.get("field")}


@lru_cache(maxsize=1)
def catalog_fields() -> Mapping[str, str]:
    """Procedure code -> field of the imported catalog, read once per process."""
    from knowledge.catalog import load_procedures

    # Read-only, since the one cached mapping is shared by every caller.
    return MappingProxyType(fields_of({record["code"]: record for record in load_procedures()}))


def topic_of(intent: str, procedure_code: str | None, fields: Mapping[str, str]) -> str:
    """The topic an answer counts under: its procedure's field, else its intent."""
    if procedure_code:
        return fields.get(procedure_code) or UNKNOWN_FIELD
    return INTENT_LABELS.get(intent, intent)


# --- questions --------------------------------------------------------------------------


def _questions(conn: sqlite3.Connection, period: Period, as_of: date,
               fields: Mapping[str, str]) -> QuestionFigures:
    start, end = period.utc_range(as_of)
    weeks = period.weeks(as_of)
    week_index = {week.isoformat(): i for i, week in enumerate(weeks)}
    by_channel: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    helpful: Counter[int | None] = Counter()
    weekly: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    # One pass over the answers (the table has no index on created_at to range over).
    for week, intent, code, channel, mark, count in queries.answers_by_week(conn, start, end):
        topic = topic_of(intent, code, fields)
        by_topic[topic] += count
        by_channel[channel] += count
        helpful[mark] += count
        weekly[topic][week_index[week]] += count
    unanswered = queries.unanswered_by_reason(conn, start, end)
    incoming: dict[str, int] = {}
    users: dict[str, int] = {}
    for channel, messages, people in queries.incoming_by_channel(conn, start, end):
        incoming[channel] = messages
        users[channel] = people
    ordered = _by_value(by_topic)
    return QuestionFigures(
        answered=sum(by_channel.values()),
        by_channel=_by_value(by_channel),
        by_topic=ordered,
        weekly_by_topic=WeeklySeries(tuple(weeks),
                                     {topic: tuple(weekly[topic]) for topic in ordered}),
        helpful=helpful.get(1, 0),
        unhelpful=helpful.get(0, 0),
        unanswered=_by_value(unanswered),
        incoming_messages=_by_value(incoming),
        users=_by_value(users),
    )


# --- petitions --------------------------------------------------------------------------


def _petitions(conn: sqlite3.Connection, period: Period, as_of: date,
               fields: Mapping[str, str]) -> PetitionFigures:
    start, end = period.utc_range(as_of)
    weeks = period.weeks(as_of)
    week_index = {week.isoformat(): i for i, week in enumerate(weeks)}

    by_status: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    by_field: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    for status, channel, field_name, code, agency, count in queries.petitions_received(
            conn, start, end):
        by_status[status] += count
        by_channel[channel] += count
        by_field[field_name or fields.get(code or "") or UNKNOWN_FIELD] += count
        by_agency[agency or UNKNOWN_AGENCY] += count

    received_weekly = [0] * len(weeks)
    for week, count in queries.petitions_received_by_week(conn, start, end):
        received_weekly[week_index[week]] = count

    resolved = _resolved(conn, start, end, week_index)
    backlog = _backlog(conn, period, as_of, weeks)
    return PetitionFigures(
        received=sum(by_status.values()),
        by_status={status: by_status[status] for status in
                   sorted(by_status, key=_status_order)},
        by_channel=_by_value(by_channel),
        by_field=_by_value(by_field),
        by_agency=_by_value(by_agency),
        resolved=resolved.count,
        resolved_in_time=resolved.in_time,
        resolved_late=resolved.count - resolved.in_time,
        overdue=backlog.overdue,
        open_in_time=backlog.open_in_time,
        transferred=by_status.get("transferred", 0),
        duplicates=by_status.get("duplicate", 0),
        mean_days_to_resolve=statistics.fmean(resolved.days) if resolved.days else None,
        median_days_to_resolve=statistics.median(resolved.days) if resolved.days else None,
        days_to_resolve=_buckets(resolved.days),
        median_days_by_month={month: statistics.median(days)
                              for month, days in resolved.days_by_month.items()},
        weekly=WeeklySeries(tuple(weeks), {
            "received": tuple(received_weekly),
            "resolved": tuple(resolved.weekly),
            "overdue": tuple(backlog.weekly_overdue),
        }),
    )


@dataclass
class _Resolved:
    count: int
    in_time: int
    weekly: list[int]
    days: list[float]
    days_by_month: dict[date, list[float]]


def _resolved(conn: sqlite3.Connection, start: str, end: str,
              week_index: Mapping[str, int]) -> _Resolved:
    """Petitions resolved in [start, end), whenever they were received."""
    count = in_time = 0
    weekly = [0] * len(week_index)
    for week, on_time, n in queries.resolved_by_week(conn, start, end):
        count += n
        in_time += n if on_time else 0
        weekly[week_index[week]] += n
    days: list[float] = []
    days_by_month: dict[date, list[float]] = defaultdict(list)
    for month, duration in queries.resolution_days(conn, start, end):
        value = max(0.0, duration)  # a clock set wrong must not make a negative duration
        days.append(value)
        days_by_month[date.fromisoformat(month)].append(value)
    return _Resolved(count, in_time, weekly, days, dict(days_by_month))


@dataclass
class _Backlog:
    overdue: int
    open_in_time: int
    weekly_overdue: list[int]


def _backlog(conn: sqlite3.Connection, period: Period, as_of: date,
             weeks: list[date]) -> _Backlog:
    """Open petitions at the end of `as_of`, and the overdue ones at the end of each week.

    Overdue at the end of day D: received by D, due before D, not resolved by the end of D.
    """
    if as_of < period.start:
        return _Backlog(0, 0, [])  # the period has not begun: it has no backlog yet
    _, end = period.utc_range(as_of)
    start, _ = period.utc_range()
    overdue = open_in_time = 0
    for late, n in queries.open_at(conn, end, as_of.isoformat()):
        if late:
            overdue += n
        else:
            open_in_time += n
    # Each late petition is overdue on the days after its due date (and not before it was
    # received) until the day it was resolved: counted on the week ends in that span.
    week_ends = [min(monday + timedelta(days=6), as_of) for monday in weeks]
    change = [0] * (len(week_ends) + 1)
    for created, due, resolved, n in queries.late_spans(conn, start, end, as_of.isoformat()):
        first = max(date.fromisoformat(due) + timedelta(days=1), date.fromisoformat(created))
        last = date.fromisoformat(resolved) - timedelta(days=1) if resolved else as_of
        lo, hi = bisect_left(week_ends, first), bisect_right(week_ends, last)
        if lo < hi:
            change[lo] += n
            change[hi] -= n
    weekly, running = [], 0
    for delta in change[:-1]:
        running += delta
        weekly.append(running)
    return _Backlog(overdue, open_in_time, weekly)


def _buckets(days: Iterable[float]) -> dict[str, int]:
    counts = dict.fromkeys((label for _, label in RESOLVE_DAY_BUCKETS), 0)
    for value in days:
        for limit, label in RESOLVE_DAY_BUCKETS:
            if limit is None or value <= limit:
                counts[label] += 1
                break
    return counts


def _status_order(status: str) -> int:
    return PETITION_STATUSES.values.index(status) if status in PETITION_STATUSES else len(
        PETITION_STATUSES)


# --- satisfaction -----------------------------------------------------------------------


def _satisfaction(conn: sqlite3.Connection, period: Period, as_of: date) -> SatisfactionFigures:
    start, end = period.utc_range(as_of)
    by_score: Counter[int] = Counter()
    subjects: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    channels: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    months: dict[date, list[int]] = {month: [0, 0] for month in period.months(as_of)}
    for month, subject, channel, score, n in queries.ratings_by_month(conn, start, end):
        by_score[score] += n
        satisfied = n if score >= 4 else 0
        for tally in (subjects[subject], channels[channel],
                      months.setdefault(date.fromisoformat(month), [0, 0])):
            tally[0] += n
            tally[1] += satisfied
    return SatisfactionFigures(
        ratings=sum(by_score.values()),
        satisfied=by_score[4] + by_score[5],
        by_score={score: by_score[score] for score in range(1, 6)},
        by_subject={subject: Share(*subjects[subject]) for subject in
                    sorted(subjects, key=lambda s: -subjects[s][0])},
        by_channel={channel: Share(*channels[channel]) for channel in
                    sorted(channels, key=lambda c: -channels[c][0])},
        monthly={month: Share(*months[month]) for month in sorted(months)},
    )


# --- announcements ----------------------------------------------------------------------


def announcement_figures(conn: sqlite3.Connection, period: Period,
                         as_of: date) -> AnnouncementFigures:
    """Reform news published in the period and their reach; zeros until they are recorded."""
    subscribers = queries.subscribers_by_channel(conn)
    months = dict.fromkeys(period.months(as_of), 0)
    if not queries.tables_exist(conn, "announcements", "announcement_deliveries"):
        return AnnouncementFigures(False, 0, months, 0, 0, _by_value(subscribers))
    return _recorded_announcements(conn, period, as_of, months, _by_value(subscribers))


def _recorded_announcements(conn: sqlite3.Connection, period: Period, as_of: date,
                            months: dict[date, int],
                            subscribers: dict[str, int]) -> AnnouncementFigures:
    """Announcements published (sending started) in the period, per month, and their reach:
    the copies sent and the citizens they reached (migration 4's tables)."""
    start, end = period.utc_range(as_of)
    for month, n in queries.announcements_started_by_month(conn, start, end):
        months[date.fromisoformat(month)] = n
    deliveries, reached = queries.announcement_reach(conn, start, end)
    return AnnouncementFigures(True, sum(months.values()), months, deliveries, reached,
                               subscribers)


def imported_fields(warn: Callable[[str], None]) -> Mapping[str, str]:
    """catalog_fields(), or none when the catalog was never imported: procedures then count
    as unclassified, and `warn` is told how to mend it."""
    try:
        return catalog_fields()
    except FileNotFoundError as error:
        warn(f"{error.filename} is missing: questions are not grouped by field "
             "(run `python -m bot kb import PATH`)")
        return {}


def snapshot_report(conn: sqlite3.Connection, period: Period, *, fields: Mapping[str, str],
                    today: date) -> Report:
    """build_report() in one read transaction: every figure comes from the same snapshot,
    even while the bot keeps writing (WAL)."""
    conn.execute("BEGIN")
    try:
        return build_report(conn, period, fields=fields, today=today)
    finally:
        conn.rollback()


# --- helpers ----------------------------------------------------------------------------


def _by_value(counts: Mapping[Any, int]) -> dict[Any, int]:
    """Largest first; ties by name, so that reports built twice read the same."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
