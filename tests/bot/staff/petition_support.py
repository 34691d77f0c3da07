"""What the petition desk's tests share: a fixed clock, a plain working-day calendar, channel
senders that record what they were asked to send, and petitions made to measure."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.storage import Store

# Wednesday 25 November 2026, 10:00 in Vietnam.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
CONTENT = "Đèn đường ở tổ 5 phường An Bình hỏng đã hai tuần, buổi tối rất tối"


class Calendar:
    """Monday to Friday, less `holidays`: what PetitionDesk needs of a calendar."""

    def __init__(self, holidays: Collection[date] = ()) -> None:
        self.holidays = frozenset(holidays)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def working_days_between(self, start: date, end: date) -> int:
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1)
                   if self.is_working_day(start + timedelta(days=n)))


def make_petition(store: Store, *, channel: str = "telegram", user: str | None = "1001",
                  content: str = CONTENT, due: date = date(2026, 12, 9),
                  created: datetime = NOW - timedelta(days=1), **columns: Any) -> str:
    """A petition as the citizen's form makes it, then `columns` set as staff would have;
    returns its code."""
    fields = {name: columns.pop(name) for name in
              ("name", "phone", "email", "agency", "place", "procedure_code", "attachments")
              if name in columns}
    fields.setdefault("name", "Nguyễn Văn An")
    fields.setdefault("phone", "0912345678")
    if user is not None:
        store.touch_user(channel, user, now=created)
    petition = store.create_petition(channel, user, content=content, due_date=due,
                                     now=created, **fields)
    if columns:
        store.execute(
            f"UPDATE petitions SET {', '.join(f'{name} = ?' for name in columns)} "
            "WHERE id = ?", [*columns.values(), petition.id])
    return petition.code
