"""Working-day deadlines: weekends, public holidays and make-up Saturdays.

The dates asserted here are those of knowledge/yaml/holidays.yaml (each with its source there);
a test failing after that file changes means a deadline changed too.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bot.working_days import (
    WorkingCalendar,
    add_working_days,
    default_calendar,
    is_working_day,
)
from knowledge.base import Knowledge
from tests.bot.test_conversation import VIETNAM, Chat


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return default_calendar()


# --- plain counting (weekends, and the holidays a caller passes) --------------------------


def test_weekends_are_skipped_and_the_receipt_day_does_not_count() -> None:
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1) == date(2026, 3, 9)  # Monday
    assert add_working_days(friday, 10) == date(2026, 3, 20)
    assert add_working_days(friday, 0) == friday
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert is_working_day(date(2026, 3, 9))


def test_plain_counting_skips_the_holidays_it_is_given() -> None:
    monday = date(2026, 3, 9)
    assert add_working_days(monday, 1, holidays={date(2026, 3, 10)}) == date(2026, 3, 11)


def test_a_calendar_with_a_made_up_saturday_and_holiday() -> None:
    calendar = WorkingCalendar(
        days_off=frozenset({date(2026, 3, 10)}),
        working_weekends=frozenset({date(2026, 3, 14)}),
        known_years=frozenset({2026}),
    )
    # Mon 9: Tue 10 is off, Wed 11 = 1, Thu 12 = 2, Fri 13 = 3, Sat 14 (worked) = 4.
    assert calendar.add_working_days(date(2026, 3, 9), 4) == date(2026, 3, 14)
    assert calendar.add_working_days(date(2026, 3, 9), 5) == date(2026, 3, 16)
    assert not calendar.is_working_day(date(2026, 3, 15))


# --- the calendar of holidays.yaml --------------------------------------------------------


def test_a_petition_received_before_tet_2026_is_due_after_the_break(calendar) -> None:
    # Thu 12/2: Fri 13/2 = 1; Tết 14–22/2 closed; Mon 23/2 = 2 … Thu 5/3 = 10.
    assert calendar.add_working_days(date(2026, 2, 12), 10) == date(2026, 3, 5)
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    # Counting weekends only would have given Thursday 26 February, inside the working weeks
    # the break took away.
    assert add_working_days(date(2026, 2, 12), 10) == date(2026, 2, 26)


def test_every_official_tet_2026_day_is_closed(calendar) -> None:
    for day in (16, 17, 18, 19, 20):
        assert not calendar.is_working_day(date(2026, 2, day)), day
    assert calendar.is_working_day(date(2026, 2, 23))


def test_tet_2025_break_is_skipped(calendar) -> None:
    # Fri 24/1/2025: the break runs Sat 25/1 – Sun 2/2; Monday 3/2 is the first working day.
    assert calendar.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)


def test_30_4_and_1_5_2025_with_the_swapped_friday(calendar) -> None:
    # Tue 29/4/2025: Wed 30/4, Thu 1/5 and Fri 2/5 (swapped) are off, then the weekend.
    assert calendar.add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)
    assert not calendar.is_working_day(date(2025, 5, 2))


def test_30_4_and_1_5_2026(calendar) -> None:
    # Wed 29/4/2026: Thu 30/4 and Fri 1/5 are off; Monday 4/5 is next.
    assert calendar.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)


def test_hung_kings_day_2026_on_a_sunday_is_taken_on_monday(calendar) -> None:
    assert calendar.add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)


def test_make_up_saturdays_count_as_working_days(calendar) -> None:
    assert calendar.is_working_day(date(2025, 4, 26))
    assert calendar.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    # Tết Dương lịch 2026: Fri 2/1 swapped for Sat 10/1.
    assert calendar.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    assert calendar.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    # Quốc khánh 2026: Mon 31/8 swapped for Sat 22/8.
    assert calendar.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert calendar.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    # An ordinary Saturday still does not count.
    assert not calendar.is_working_day(date(2026, 1, 17))


def test_working_days_between_is_the_inverse_of_adding(calendar) -> None:
    start = date(2026, 1, 20)
    for days in range(0, 40):
        due = calendar.add_working_days(start, days)
        assert calendar.working_days_between(start, due) == days


def test_working_days_left_and_overdue(calendar) -> None:
    due = date(2026, 2, 24)  # Tuesday after Tết
    assert calendar.working_days_between(date(2026, 2, 13), due) == 2  # Mon 23, Tue 24
    assert calendar.working_days_between(due, due) == 0
    assert calendar.working_days_between(date(2026, 2, 26), due) == -2  # Wed 25, Thu 26


def test_the_calendar_knows_2025_and_2026_only(calendar) -> None:
    assert calendar.covers(date(2025, 1, 1))
    assert calendar.covers(date(2026, 12, 31))
    assert not calendar.covers(date(2027, 1, 1))
    assert not calendar.covers(date(2024, 12, 31))
    assert calendar.known_through == date(2026, 12, 31)
    assert WorkingCalendar().known_through is None


def test_a_count_into_an_unknown_year_skips_weekends_only_and_says_so(calendar) -> None:
    due = calendar.add_working_days(date(2026, 12, 30), 3)
    assert due == date(2027, 1, 4)  # Thu 31/12, Fri 1/1, Mon 4/1: 2027's holidays unknown
    assert not calendar.covers(due)


def test_negative_days_are_refused(calendar) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        calendar.add_working_days(date(2026, 3, 2), -1)


def test_default_calendar_is_read_once() -> None:
    assert default_calendar() is default_calendar()


def test_a_petition_sent_before_tet_is_due_after_it(knowledge: Knowledge,
                                                   tmp_path: Path) -> None:
    thursday = datetime(2026, 2, 12, 9, 0, tzinfo=VIETNAM)
    chat = Chat(knowledge, tmp_path / "bot.db", clock=lambda: thursday)
    try:
        code = chat.petition()
        assert chat.store.petition_by_code(code).due_date == date(2026, 3, 5)
    finally:
        chat.close()

