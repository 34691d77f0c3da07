"""Petitions (`petitions`) as the citizen's form makes them and the citizen reads them back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.storage.database import Tables, as_json, iso, serialised, time_or_none, utc
from bot.storage.schema import write_transaction
from bot.vocabulary import OPEN_PETITION_STATUSES, VIETNAM


@dataclass(frozen=True)
class Petition:
    id: int
    code: str
    channel: str
    user_id: str | None
    name: str | None
    phone: str | None
    email: str | None
    content: str
    agency: str | None
    place: str | None
    procedure_code: str | None
    attachments: list[Any]
    status: str
    due_date: date
    answer: str | None
    answered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    anonymised: bool
    # The staff side's workflow (migration 3).
    assigned_to: str | None = None
    assigned_agency: str | None = None
    field: str | None = None
    duplicate_of: int | None = None
    closed_at: datetime | None = None
    answer_delivery: dict[str, Any] | None = None

    @property
    def files(self) -> list[Attachment]:
        """The attachments as staff read them, whatever a channel stored."""
        items = self.attachments if isinstance(self.attachments, list) else []
        return [_attachment(item) for item in items if isinstance(item, dict)]


@dataclass(frozen=True)
class Attachment:
    name: str
    mime: str
    size: int | None
    ref: str | None


class PetitionTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    @serialised
    def petitions_not_told_to_staff(self, limit: int) -> list[dict[str, Any]]:
        """The oldest petitions the staff group has not been told of."""
        return self._rows("SELECT id, code, channel, content, due_date FROM petitions "
                          "WHERE staff_notified_at IS NULL ORDER BY id LIMIT ?", [limit])

    @serialised
    def mark_told_to_staff(self, petition_id: int, now: datetime) -> None:
        self.db.execute("UPDATE petitions SET staff_notified_at = ? WHERE id = ?",
                        [iso(now), petition_id])

    @serialised
    def overdue_petitions(self, today: str) -> list[dict[str, Any]]:
        """Open petitions whose due date (ISO, Vietnam's calendar) is before `today`."""
        return self._rows(
            f"SELECT code, content, due_date FROM petitions WHERE status IN "
            f"({', '.join('?' for _ in OPEN_PETITION_STATUSES)}) AND due_date < ? "
            f"ORDER BY due_date, id", [*OPEN_PETITION_STATUSES, today])

    @serialised
    def create_petition(
        self,
        channel: str,
        user_id: str | None,
        *,
        content: str,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        agency: str | None = None,
        place: str | None = None,
        procedure_code: str | None = None,
        attachments: list[Any] | tuple[Any, ...] = (),
        due_date: date,
        now: datetime | None = None,
    ) -> Petition:
        """Record a petition and give it its code, PA-<year>-<id as 6 digits>, atomically."""
        when = utc(now)
        stamp = iso(when)
        with write_transaction(self.db):
            petition_id = self.db.execute(
                "INSERT INTO petitions (channel, user_id, name, phone, email, content, agency, "
                "place, procedure_code, attachments, due_date, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [channel, user_id, name, phone, email, content, agency, place, procedure_code,
                 as_json(list(attachments)), due_date.isoformat(), stamp, stamp],
            ).lastrowid
            code = f"PA-{when.astimezone(VIETNAM).year}-{petition_id:06d}"
            self.db.execute("UPDATE petitions SET code = ? WHERE id = ?", [code, petition_id])
        petition = self.petition_by_code(code)
        assert petition is not None
        return petition

    @serialised
    def petitions_of(self, channel: str, user_id: str) -> list[Petition]:
        """The user's petitions, newest first."""
        rows = self._rows(
            "SELECT * FROM petitions WHERE channel = ? AND user_id = ? ORDER BY id DESC",
            [channel, user_id],
        )
        return [_petition(row) for row in rows]

    @serialised
    def petition_by_code(self, code: str) -> Petition | None:
        """The petition with this code, however the citizen typed its case and spaces."""
        rows = self._rows("SELECT * FROM petitions WHERE code = ?", [code.strip().upper()])
        return _petition(rows[0]) if rows else None


def _petition(row: dict[str, Any]) -> Petition:
    return Petition(
        id=row["id"],
        code=row["code"],
        channel=row["channel"],
        user_id=row["user_id"],
        name=row["name"],
        phone=row["phone"],
        email=row["email"],
        content=row["content"],
        agency=row["agency"],
        place=row["place"],
        procedure_code=row["procedure_code"],
        attachments=json.loads(row["attachments"]),
        status=row["status"],
        due_date=date.fromisoformat(row["due_date"]),
        answer=row["answer"],
        answered_at=time_or_none(row["answered_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        anonymised=bool(row["anonymised"]),
        assigned_to=row["assigned_to"],
        assigned_agency=row["assigned_agency"],
        field=row["field"],
        duplicate_of=row["duplicate_of"],
        closed_at=time_or_none(row["closed_at"]),
        answer_delivery=_delivery_record(row["answer_delivery"]),
    )


def _delivery_record(raw: str | None) -> dict[str, Any] | None:
    value = json.loads(raw) if raw else None
    return value if isinstance(value, dict) else None


def _attachment(item: dict[str, Any]) -> Attachment:
    size = item.get("size")
    return Attachment(name=str(item.get("name") or "tệp không tên"),
                      mime=str(item.get("mime") or "không rõ"),
                      size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                      ref=str(item["ref"]) if item.get("ref") else None)
