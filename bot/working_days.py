"""Deadlines counted in working days: weekends and public holidays do not count.

The holidays, and the Saturdays declared working days ("làm bù"), come from
knowledge/yaml/holidays.yaml, where every date has a source:

    from bot.working_days import default_calendar

    calendar = default_calendar()
    calendar.add_working_days(date(2026, 2, 12), 3)    # date(2026, 2, 24)
    calendar.working_days_between(date(2026, 2, 12), date(2026, 2, 24))   # 3
    calendar.covers(date(2028, 1, 3))                  # False: 2028 is not in the file yet

A petition received on Thursday 12/2/2026 counts Friday 13/2 as its first working day, then
skips the Tết break (14–22/2): Monday 23/2 is the second, Tuesday 24/2 the third. The day of
receipt never counts.

In a year the file does not cover, only weekends are skipped: the calendar cannot know that
year's holidays, so a date it gives there may come too early. `covers()` and `known_through`
tell callers when that happens, so that staff pages can say "holidays for 2028 are not in the
calendar yet" instead of showing the date as certain.

The module-level `is_working_day` and `add_working_days` count weekends and the holidays they
are given, nothing else; the calendar is what deadlines should use.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from knowledge.handkept.holidays import Holidays, load_holidays

_ONE_DAY = timedelta(days=1)


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date `days` working days after `start` (the day of receipt does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += _ONE_DAY
        if is_working_day(current, holidays):
            remaining -= 1
    return current


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of public agencies: Monday–Friday, less `days_off`, plus
    `working_weekends`; the holidays are known for `known_years` only."""

    days_off: frozenset[date] = frozenset()
    working_weekends: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()

    @classmethod
    def from_holidays(cls, holidays: Holidays) -> WorkingCalendar:
        return cls(holidays.closed_days(), holidays.working_weekend_days(),
                   frozenset(holidays.years))

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start`; `start` itself never counts."""
        if days < 0:
            raise ValueError(f"days must be 0 or more, got {days}")
        current = start
        remaining = days
        while remaining > 0:
            current += _ONE_DAY
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`: what is left until a due
        date `end` on day `start` (0 on the due date itself). Negative when `end` is before
        `start`: then minus the working days by which it is past.

        `working_days_between(d, add_working_days(d, n)) == n` for every n ≥ 0.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += _ONE_DAY
            if self.is_working_day(current):
                count += 1
        return count

    def covers(self, day: date) -> bool:
        """Whether the holidays of `day`'s year are known (so a count through it is sure)."""
        return day.year in self.known_years

    @property
    def known_through(self) -> date | None:
        """The last day whose holidays are known (31 December of the last year in the file);
        the file's years follow each other, so every year from the first one is known up to
        here. None when no year is known."""
        return date(max(self.known_years), 12, 31) if self.known_years else None


@cache
def default_calendar() -> WorkingCalendar:
    """The calendar of knowledge/yaml/holidays.yaml, read once; raises KnowledgeError, naming
    file, line and field, when the file is wrong."""
    return WorkingCalendar.from_holidays(load_holidays())
