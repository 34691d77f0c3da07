"""The report's figures (bot/reports.py), on a store filled with known rows.

Every time below is UTC, as the store keeps it; the comments give the Vietnamese time (UTC+7),
which decides the period, the week, the month and whether a petition was answered in time.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.reports import (
    UNKNOWN_AGENCY,
    UNKNOWN_FIELD,
    Period,
    Report,
    Share,
    build_report,
    catalog_fields,
    topic_of,
)
from bot.storage import Store

BIRTH = "1.001193"       # khai sinh
RESIDENCE = "1.004222"   # thường trú
FIELDS = {BIRTH: "Hộ tịch", RESIDENCE: "Cư trú"}
Q1 = Period.quarter(2026, 1)
AFTER_Q1 = date(2026, 4, 10)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def petition(store: Store, channel: str, created: str, due: date, *, status: str = "new",
             answered: str | None = None, closed: str | None = None, **extra: str) -> int:
    made = store.create_petition(channel, "u1", content="Đường hỏng", due_date=due,
                                 now=utc(created),
                                 **{k: v for k, v in extra.items() if k != "field"})
    store.db.execute(
        "UPDATE petitions SET status = ?, answered_at = ?, closed_at = ?, field = ? "
        "WHERE id = ?",
        [status, answered and utc(answered).isoformat(), closed and utc(closed).isoformat(),
         extra.get("field"), made.id])
    return made.id


def seed(store: Store) -> None:
    """Known rows around the first quarter of 2026 (see each test for the figures)."""
    # Answers: 5 in Q1; the first is at 00:00 on 1 January in Vietnam, the last one is not
    # in Q1 at all (01:00 on 1 April in Vietnam), nor is the one just before the year.
    a1 = store.record_answer("telegram", "u1", "khai sinh", "procedure", BIRTH, None,
                             now=utc("2025-12-31T17:00:00"))
    store.record_answer("telegram", "u2", "khai sinh cần gì", "procedure", BIRTH, "documents",
                        now=utc("2026-01-06T03:00:00"))
    a3 = store.record_answer("zalo", "u3", "thường trú", "procedure", RESIDENCE, None,
                             now=utc("2026-01-07T03:00:00"))
    store.record_answer("web", "w1", "số điện thoại xã", "contact", None, None,
                        now=utc("2026-02-10T03:00:00"))
    store.record_answer("web", "w2", "thủ tục lạ", "procedure", "9.999999", None,
                        now=utc("2026-02-11T03:00:00"))
    store.record_answer("web", "w3", "khai sinh", "procedure", BIRTH, None,
                        now=utc("2026-03-31T18:00:00"))
    store.record_answer("web", "w4", "khai sinh", "procedure", BIRTH, None,
                        now=utc("2025-12-31T16:59:59"))
    store.mark_answer(a1, "telegram", "u1", True, now=utc("2026-01-01T01:00:00"))
    store.mark_answer(a3, "zalo", "u3", False, now=utc("2026-01-07T04:00:00"))  # + unanswered
    store.record_unanswered("web", "w1", "xin visa", "out_of_scope",
                            now=utc("2026-02-01T03:00:00"))
    store.record_unanswered("web", "w1", "abc xyz", "no_match", now=utc("2026-02-02T03:00:00"))

    # Messages: 3 in from 2 telegram users and 1 from zalo; replies and April do not count.
    for user, when in (("u1", "2026-01-05T01:00:00"), ("u1", "2026-01-06T01:00:00"),
                       ("u2", "2026-01-06T02:00:00")):
        store.log_message("telegram", user, "in", "xin chào", intent="smalltalk",
                          now=utc(when))
        store.log_message("telegram", user, "out", "Chào Bạn", now=utc(when))
    store.log_message("zalo", "z1", "in", "khai sinh", intent="procedure",
                      procedure_code=BIRTH, now=utc("2026-02-01T01:00:00"))
    store.log_message("zalo", "z1", "in", "khai sinh", now=utc("2026-03-31T18:00:00"))

    # Petitions.
    petition(store, "telegram", "2026-01-05T02:00:00", date(2026, 1, 15), status="answered",
             answered="2026-01-10T02:00:00", field="Hộ tịch", agency="UBND xã A")  # 5 d, in time
    petition(store, "zalo", "2026-01-06T02:00:00", date(2026, 1, 16), status="closed",
             answered="2026-01-20T02:00:00", closed="2026-01-21T02:00:00",
             procedure_code=RESIDENCE, agency="Công an xã")  # 14 days, late
    p3 = petition(store, "web", "2026-02-02T02:00:00", date(2026, 2, 12),
                  status="in_progress")  # overdue from 13 February
    petition(store, "web", "2026-03-20T02:00:00", date(2026, 4, 5))  # open, not yet due
    petition(store, "telegram", "2026-02-03T02:00:00", date(2026, 2, 5), status="transferred")
    dup = petition(store, "telegram", "2026-02-04T02:00:00", date(2026, 2, 14),
                   status="duplicate")
    store.db.execute("UPDATE petitions SET duplicate_of = ? WHERE id = ?", [p3, dup])
    # Received in Q4 2025, answered on 2 January: resolved in Q1 (13 days, late).
    petition(store, "web", "2025-12-20T02:00:00", date(2025, 12, 30), status="answered",
             answered="2026-01-02T02:00:00")
    # 00:30 on 6 March in Vietnam, 5 March in UTC: late, since it is due on 5 March.
    petition(store, "web", "2026-03-02T05:30:00", date(2026, 3, 5), status="answered",
             answered="2026-03-05T17:30:00")  # 3.5 days
    # 01:00 on 1 April in Vietnam: received in Q2.
    petition(store, "web", "2026-03-31T18:00:00", date(2026, 4, 10))

    # Ratings: January 3 of 3 satisfied, February 1 of 2, March 0 of 1; April not counted.
    for subject, score, when in (("bot", 5, "2026-01-03T03:00:00"),
                                 ("bot", 4, "2026-01-04T03:00:00"),
                                 ("visit", 5, "2026-01-05T03:00:00"),
                                 ("bot", 2, "2026-02-03T03:00:00"),
                                 ("procedure", 4, "2026-02-04T03:00:00"),
                                 ("procedure", 1, "2026-03-03T03:00:00"),
                                 ("bot", 1, "2026-03-31T18:00:00")):
        store.add_rating("zalo" if subject == "visit" else "telegram", "u1", subject, score,
                         now=utc(when))

    store.set_topics("telegram", "u1", ["cchc"], now=utc("2026-01-02T00:00:00"))
    store.set_topics("zalo", "z1", [], now=utc("2026-01-02T00:00:00"))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "bot.db") as filled:
        seed(filled)
        yield filled


@pytest.fixture
def report(store: Store) -> Report:
    return build_report(store.db, Q1, fields=FIELDS, today=AFTER_Q1)


# --- periods ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "Quý I năm 2026"),
    ("2026-q4", date(2026, 10, 1), date(2026, 12, 31), "Quý IV năm 2026"),
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "6 tháng đầu năm 2026"),
    ("2026-9M", date(2026, 1, 1), date(2026, 9, 30), "9 tháng năm 2026"),
    (" 2026 ", date(2026, 1, 1), date(2026, 12, 31), "Năm 2026"),
    ("2026-03-01..2026-04-15", date(2026, 3, 1), date(2026, 4, 15),
     "Từ 01/03/2026 đến 15/04/2026"),
])
def test_a_period_is_parsed_with_its_vietnamese_label(text, start, end, label) -> None:
    period = Period.parse(text)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_the_constructors_give_the_same_periods_as_the_strings() -> None:
    assert Period.quarter(2026, 2) == Period.parse("2026-Q2")
    assert Period.first_half(2026) == Period.parse("2026-H1")
    assert Period.nine_months(2026) == Period.parse("2026-9M")
    assert Period.whole_year(2026) == Period.parse("2026")
    assert Period.between(date(2026, 3, 1), date(2026, 4, 15)).key == "2026-03-01..2026-04-15"
    assert Period.quarter_of(date(2026, 8, 15)) == Period.quarter(2026, 3)


@pytest.mark.parametrize(("text", "says"), [
    ("2026-Q5", "not understood"),
    ("Q1 2026", "not understood"),
    ("", "not understood"),
    ("2026-02-30..2026-03-01", "day is out of range"),
    ("2026-04-15..2026-03-01", "before it starts"),
    ("0000", "out of range"),
])
def test_a_bad_period_is_a_value_error_naming_it(text, says) -> None:
    with pytest.raises(ValueError, match=says) as raised:
        Period.parse(text)
    assert repr(text) in str(raised.value)


def test_a_quarter_is_bounded_by_vietnamese_midnights() -> None:
    assert Q1.utc_range() == ("2025-12-31T17:00:00+00:00", "2026-03-31T17:00:00+00:00")


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    weeks = Q1.weeks()
    assert (weeks[0], weeks[-1], len(weeks)) == (date(2025, 12, 29), date(2026, 3, 30), 14)
    assert Q1.months() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert Q1.weeks(date(2025, 12, 1)) == [] == Q1.months(date(2025, 12, 1))


# --- questions --------------------------------------------------------------------------

def test_questions_answered_count_in_vietnamese_time_by_channel(report: Report) -> None:
    questions = report.questions
    assert questions.answered == 5
    assert questions.by_channel == {"web": 2, "telegram": 2, "zalo": 1}


def test_questions_count_under_their_procedures_field_or_their_intent(report: Report) -> None:
    assert report.questions.by_topic == {
        "Hộ tịch": 2, UNKNOWN_FIELD: 1, "Cư trú": 1, "Liên hệ, địa chỉ cơ quan": 1}


def test_questions_per_week_by_topic(report: Report) -> None:
    weekly = report.questions.weekly_by_topic
    assert weekly.weeks == tuple(Q1.weeks())
    assert weekly.values["Hộ tịch"][:2] == (1, 1)  # 1 January (week of 29 Dec), 6 January
    assert weekly.values["Cư trú"][1] == 1
    assert weekly.values["Liên hệ, địa chỉ cơ quan"][6] == 1  # week of 9 February
    assert sum(sum(values) for values in weekly.values.values()) == 5


def test_helpful_marks_unanswered_questions_and_messages(report: Report) -> None:
    questions = report.questions
    assert (questions.helpful, questions.unhelpful, questions.helpful_rate) == (1, 1, 0.5)
    assert questions.unanswered == {"no_match": 1, "out_of_scope": 1, "unhelpful": 1}
    assert questions.incoming_messages == {"telegram": 3, "zalo": 1}
    assert questions.users == {"telegram": 2, "zalo": 1}


def test_a_topic_is_the_field_else_unclassified_else_the_intent() -> None:
    assert topic_of("procedure", BIRTH, FIELDS) == "Hộ tịch"
    assert topic_of("procedure", "0.000000", FIELDS) == UNKNOWN_FIELD
    assert topic_of("online_help", None, FIELDS) == "Hướng dẫn dịch vụ công trực tuyến"
    assert topic_of("something_new", None, FIELDS) == "something_new"


def test_the_default_fields_are_the_imported_catalogs() -> None:
    assert catalog_fields()[BIRTH] == "Hộ tịch"


# --- petitions --------------------------------------------------------------------------

def test_petitions_received_by_status_channel_field_and_agency(report: Report) -> None:
    petitions = report.petitions
    assert petitions.received == 7
    assert petitions.by_status == {"new": 1, "in_progress": 1, "answered": 2, "closed": 1,
                                   "transferred": 1, "duplicate": 1}
    assert petitions.by_channel == {"telegram": 3, "web": 3, "zalo": 1}
    # The field staff set, else the procedure's, else unclassified.
    assert petitions.by_field == {UNKNOWN_FIELD: 5, "Cư trú": 1, "Hộ tịch": 1}
    assert petitions.by_agency == {UNKNOWN_AGENCY: 5, "Công an xã": 1, "UBND xã A": 1}
    assert (petitions.transferred, petitions.duplicates) == (1, 1)


def test_petitions_resolved_in_the_period_in_time_or_late(report: Report) -> None:
    petitions = report.petitions
    # Resolved in Q1 includes the one received in December; late is judged on the
    # Vietnamese day of the answer.
    assert (petitions.resolved, petitions.resolved_in_time, petitions.resolved_late) == (4, 1, 3)
    assert petitions.in_time_rate == 0.25


def test_overdue_and_open_at_the_end_of_the_period(report: Report) -> None:
    assert (report.petitions.overdue, report.petitions.open_in_time) == (1, 1)


def test_time_to_resolve_mean_median_spread_and_by_month(report: Report) -> None:
    petitions = report.petitions
    assert petitions.mean_days_to_resolve == pytest.approx((5 + 14 + 13 + 3.5) / 4)
    assert petitions.median_days_to_resolve == pytest.approx(9.0)
    assert petitions.days_to_resolve == {"≤ 1 ngày": 0, "1–3 ngày": 0, "3–7 ngày": 2,
                                         "7–15 ngày": 2, "15–30 ngày": 0, "> 30 ngày": 0}
    assert petitions.median_days_by_month == pytest.approx(
        {date(2026, 1, 1): 13.0, date(2026, 3, 1): 3.5})


def test_petitions_per_week_received_resolved_and_overdue_at_each_weeks_end(
        report: Report) -> None:
    weekly = report.petitions.weekly
    assert weekly.values["received"] == (0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0)
    assert weekly.values["resolved"] == (1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0)
    # 16 January's petition is overdue on Sunday 18 January; 12 February's from 13 February.
    assert weekly.values["overdue"] == (0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)


def test_a_petition_answered_after_the_period_was_open_at_its_end(store: Store) -> None:
    petition(store, "web", "2026-03-10T02:00:00", date(2026, 3, 20), status="answered",
             answered="2026-04-02T02:00:00")
    report = build_report(store.db, Q1, fields=FIELDS, today=AFTER_Q1)
    assert (report.petitions.overdue, report.petitions.resolved) == (2, 4)


# --- satisfaction -----------------------------------------------------------------------

def test_satisfaction_is_the_share_of_ratings_four_and_five(report: Report) -> None:
    satisfaction = report.satisfaction
    assert (satisfaction.ratings, satisfaction.satisfied) == (6, 4)
    assert satisfaction.rate == pytest.approx(4 / 6)
    assert satisfaction.meets_goal is False
    assert satisfaction.by_score == {1: 1, 2: 1, 3: 0, 4: 2, 5: 2}
    assert satisfaction.by_subject == {"bot": Share(3, 2), "procedure": Share(2, 1),
                                       "visit": Share(1, 1)}
    assert satisfaction.by_channel == {"telegram": Share(5, 3), "zalo": Share(1, 1)}
    assert satisfaction.monthly == {date(2026, 1, 1): Share(3, 3),
                                    date(2026, 2, 1): Share(2, 1),
                                    date(2026, 3, 1): Share(1, 0)}


def test_ninety_percent_satisfied_meets_the_goal(tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as store:
        for score in (5, 5, 5, 4, 4, 4, 4, 5, 5, 3):
            store.add_rating("web", "w", "bot", score, now=utc("2026-02-01T00:00:00"))
        satisfaction = build_report(store.db, Q1, fields=FIELDS, today=AFTER_Q1).satisfaction
    assert (satisfaction.rate, satisfaction.meets_goal) == (0.9, True)


# --- announcements ----------------------------------------------------------------------

def test_announcements_are_zeros_when_none_were_sent(report: Report) -> None:
    news = report.announcements
    assert news.recorded is True
    assert (news.published, news.deliveries, news.reached_users) == (0, 0, 0)
    assert news.monthly == dict.fromkeys(Q1.months(), 0)
    assert news.subscribers == {"telegram": 1}


def test_announcements_count_when_sending_started_and_reach_what_was_sent(
        store: Store) -> None:
    for when in ("2026-01-05T02:00:00+00:00", "2026-01-20T02:00:00+00:00",
                 "2026-02-05T02:00:00+00:00", None):
        store.db.execute(
            "INSERT INTO announcements (title, body, status, created_by, created_at, "
            "updated_at, started_at) VALUES ('Tin', 'Nội dung', ?, 'lan', ?, ?, ?)",
            ["sent" if when else "draft", "2026-01-01T00:00:00+00:00",
             "2026-01-01T00:00:00+00:00", when])
    for announcement, user, status in ((1, "u1", "sent"), (2, "u1", "sent"),
                                       (2, "u2", "failed"), (3, "u3", "sent")):
        store.db.execute(
            "INSERT INTO announcement_deliveries (announcement_id, channel, user_id, status, "
            "updated_at) VALUES (?, 'telegram', ?, ?, '2026-02-05T02:01:00+00:00')",
            [announcement, user, status])
    news = build_report(store.db, Q1, fields=FIELDS, today=AFTER_Q1).announcements
    assert news.recorded is True
    assert news.monthly == {date(2026, 1, 1): 2, date(2026, 2, 1): 1, date(2026, 3, 1): 0}
    assert (news.published, news.months_meeting_goal) == (3, 1)
    assert (news.deliveries, news.reached_users) == (3, 2)


# --- as of which day, and which database objects ----------------------------------------

def test_a_period_in_progress_counts_up_to_today(store: Store) -> None:
    q2 = Period.quarter(2026, 2)
    report = build_report(store.db, q2, fields=FIELDS, today=date(2026, 4, 10))
    assert report.as_of == date(2026, 4, 10)
    assert report.petitions.received == 1
    assert report.questions.by_topic == {"Hộ tịch": 1}
    assert report.petitions.weekly.weeks == (date(2026, 3, 30), date(2026, 4, 6))
    assert report.announcements.monthly == {date(2026, 4, 1): 0}


def test_a_period_not_begun_has_only_zeros(store: Store) -> None:
    report = build_report(store.db, Period.quarter(2026, 3), fields=FIELDS,
                          today=date(2026, 4, 10))
    assert (report.questions.answered, report.petitions.received, report.petitions.overdue,
            report.satisfaction.ratings) == (0, 0, 0, 0)
    assert report.petitions.weekly.weeks == ()
    assert report.satisfaction.rate is None and report.satisfaction.meets_goal is None


def test_a_report_reads_a_sqlite3_connection_or_a_store_alike(store: Store) -> None:
    conn = sqlite3.connect(str(store.path))
    try:
        from_conn = build_report(conn, Q1, fields=FIELDS, today=AFTER_Q1)
    finally:
        conn.close()
    from_store = build_report(store, Q1, fields=FIELDS, today=AFTER_Q1)
    assert from_conn == from_store


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="sqlite_utils Database"):
        build_report("var/bot.db", Q1, fields=FIELDS)
