"""Petitions as staff work them: the inbox's filtered pages, a petition's history
(`petition_events`), its links to duplicates, and each action written with its history row
in one transaction. The rules (who may do what, when the citizen is told) are
bot/staff/petitions.py's; the statements are here.

The inbox filters and orders in SQL over the indexes of migration 3, so that a page stays
fast on a large table (benchmarks/petition_desk_bench.py). SQLite-only: the `+channel` hint
that keeps the planner off an index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.storage.database import Tables, as_json, iso, serialised, stored
from bot.storage.petition_search import PetitionSearch
from bot.storage.petitions import Petition, _petition
from bot.vocabulary import OPEN_PETITION_STATUSES, PETITION_STATUSES, STAFF_ROLES, VIETNAM

UNASSIGNED = "-"
ORDERS = ("urgency", "newest")
_IS_OPEN = f"status IN ({', '.join(repr(status) for status in OPEN_PETITION_STATUSES)})"
# Roles that work petitions (may be assigned one).
_WORKING_ROLES = STAFF_ROLES.values[STAFF_ROLES.values.index("officer"):]


@dataclass(frozen=True)
class InboxFilters:
    statuses: tuple[str, ...] = ()
    agency: str | None = None          # part of the citizen's agency or the assigned one
    field: str | None = None           # exactly, as the catalog names it (composed)
    channel: str | None = None
    assigned_to: str | None = None     # a username, or UNASSIGNED
    overdue: bool = False              # with nearly_due: either of them
    nearly_due: bool = False
    received_from: date | None = None  # Vietnamese calendar days, both included
    received_to: date | None = None
    search: str | None = None          # code, content, name, phone or e-mail
    order: str = "urgency"             # or "newest"


@dataclass
class PetitionChange:
    """What an action does to a petition row inside its transaction."""

    kind: str
    to_status: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class PetitionWorkflowTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    _search: PetitionSearch | None = None

    @property
    def petition_search(self) -> PetitionSearch:
        if self._search is None:
            self._search = PetitionSearch(self)
        return self._search

    # --- the inbox ---------------------------------------------------------------------------

    def inbox_page(self, filters: InboxFilters, *, today: date, nearly_due_until: date,
                   summary_chars: int, limit: int, offset: int,
                   ) -> tuple[int, list[dict[str, Any]]]:
        """(how many match, the rows of this page) for the inbox; `nearly_due_until` is the
        last due date still nearly due today (the working-day calendar's answer)."""
        where, params = self._where(filters, today, nearly_due_until)
        with self.reading() as db:
            total = db.execute(f"SELECT count(*) FROM petitions WHERE {where}",
                               params).fetchone()[0]
            rows = list(db.query(
                "SELECT id, code, created_at, channel, name, "
                f"substr(content, 1, {int(summary_chars) + 1}) AS summary, agency, "
                "assigned_agency, field, assigned_to, status, anonymised, due_date FROM "
                f"petitions WHERE {where} ORDER BY {_order(filters.order)} LIMIT ? OFFSET ?",
                [*params, limit, offset]))
        return total, rows

    def _where(self, filters: InboxFilters, today: date,
               nearly_due_until: date) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        unknown = [status for status in filters.statuses if status not in PETITION_STATUSES]
        if unknown:
            raise ValueError(f"unknown petition status {unknown[0]!r}")
        if filters.statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in filters.statuses)})")
            params += list(filters.statuses)
        if filters.overdue or filters.nearly_due:
            clauses.append(_IS_OPEN)
            if filters.nearly_due:
                clauses.append("due_date <= ?")
                params.append(nearly_due_until.isoformat())
            if not filters.overdue:
                clauses.append("due_date >= ?")
                params.append(today.isoformat())
            elif not filters.nearly_due:
                clauses.append("due_date < ?")
                params.append(today.isoformat())
        if filters.agency and filters.agency.strip():
            sql, values = self.petition_search.agency_clause(filters.agency)
            clauses.append(sql)
            params += values
        if filters.field:
            clauses.append("field = ?")
            params.append(filters.field)
        if filters.channel:
            # "+": not through idx_petitions_user, made for one citizen's petitions; a channel
            # holds a third of the table, which the other filters' indexes narrow better.
            clauses.append("+channel = ?")
            params.append(filters.channel)
        if filters.assigned_to == UNASSIGNED:
            clauses.append("assigned_to IS NULL")
        elif filters.assigned_to:
            clauses.append("assigned_to = ?")
            params.append(filters.assigned_to.strip().lower())
        if filters.received_from is not None:
            clauses.append("created_at >= ?")
            params.append(_day_start_utc(filters.received_from))
        if filters.received_to is not None:
            clauses.append("created_at < ?")
            params.append(_day_start_utc(filters.received_to + timedelta(days=1)))
        if filters.search and filters.search.strip():
            # Last: SQLite tests the conditions in order, and this is the costliest.
            sql, values = self.petition_search.clause(filters.search)
            clauses.append(sql)
            params += values
        return " AND ".join(clauses) or "1 = 1", params

    # --- one petition ------------------------------------------------------------------------

    @serialised
    def desk_petition(self, code: str) -> Petition | None:
        rows = self._rows("SELECT * FROM petitions WHERE code = ?", [code])
        return _petition(rows[0]) if rows else None

    @serialised
    def petition_events(self, petition_id: int) -> list[dict[str, Any]]:
        return [{**row, "details": json.loads(row["details"] or "{}")} for row in self._rows(
            "SELECT * FROM petition_events WHERE petition_id = ? ORDER BY id", [petition_id])]

    @serialised
    def petition_code_and_status(self, petition_id: int) -> tuple[str, str] | None:
        row = self.db.execute("SELECT code, status FROM petitions WHERE id = ?",
                              [petition_id]).fetchone()
        return (row[0], row[1]) if row else None

    @serialised
    def duplicates_of(self, petition_id: int) -> list[tuple[str, str]]:
        return [(row["code"], row["status"]) for row in self._rows(
            "SELECT code, status FROM petitions WHERE duplicate_of = ? ORDER BY id",
            [petition_id])]

    @serialised
    def messages_around(self, channel: str, user_id: str, moment: datetime,
                        side: int) -> list[dict[str, Any]]:
        """Up to `side` messages of the citizen before `moment` and `side` after, in order."""
        who = [channel, user_id, iso(moment)]
        before = self._rows(
            "SELECT direction, text, created_at FROM messages WHERE channel = ? AND user_id = ? "
            "AND created_at <= ? ORDER BY created_at DESC, id DESC LIMIT ?", [*who, side])
        after = self._rows(
            "SELECT direction, text, created_at FROM messages WHERE channel = ? AND user_id = ? "
            "AND created_at > ? ORDER BY created_at, id LIMIT ?", [*who, side])
        return [*reversed(before), *after]

    # --- officers ----------------------------------------------------------------------------

    @serialised
    def working_officers(self) -> list[dict[str, Any]]:
        """Active accounts that can work petitions, for the assignment form."""
        return self._rows(
            f"SELECT username, display_name, agency FROM staff_accounts WHERE active = 1 AND "
            f"role IN ({', '.join('?' for _ in _WORKING_ROLES)}) ORDER BY display_name, "
            "username", list(_WORKING_ROLES))

    @serialised
    def is_working_officer(self, username: str) -> bool:
        return self.db.execute(
            f"SELECT 1 FROM staff_accounts WHERE username = ? AND active = 1 AND role IN "
            f"({', '.join('?' for _ in _WORKING_ROLES)})",
            [username, *_WORKING_ROLES]).fetchone() is not None

    # --- the field (lĩnh vực) from the catalog -----------------------------------------------

    @serialised
    def last_petition_id(self) -> int:
        return self.db.execute("SELECT max(id) FROM petitions").fetchone()[0] or 0

    @serialised
    def petitions_without_field(self, after_id: int, through_id: int) -> list[tuple[int, str]]:
        """(id, procedure code) of the petitions in the range that have no field yet."""
        return [(row[0], row[1]) for row in self.db.execute(
            "SELECT id, procedure_code FROM petitions WHERE id > ? AND id <= ? "
            "AND field IS NULL AND procedure_code IS NOT NULL", [after_id, through_id])]

    def set_fields(self, fields: Sequence[tuple[str, int]]) -> None:
        """(field, petition id) pairs; one statement per petition by its rowid: fast, and
        only the first look at an old database has many to do."""
        with self.writing() as db:
            db.conn.executemany(
                "UPDATE petitions SET field = ? WHERE id = ? AND field IS NULL", fields)

    # --- actions -----------------------------------------------------------------------------

    def apply_petition_change(self, code: str, by: str, now: datetime,
                              change: Callable[[Petition], PetitionChange]) -> Petition | None:
        """Reads the petition under the write lock, applies `change` to it and writes its
        history row, in one transaction. Returns the petition as it was before, or None when
        there is no such code (`change` may raise to refuse the action)."""
        with self.writing() as db:
            found = list(db.query("SELECT * FROM petitions WHERE code = ?", [code]))
            if not found:
                return None
            petition = _petition(found[0])
            done = change(petition)
            columns = {name: stored(value) for name, value in done.columns.items()}
            columns["updated_at"] = iso(now)
            if done.to_status is not None:
                columns["status"] = done.to_status
            db.execute(
                f"UPDATE petitions SET {', '.join(f'{name} = ?' for name in columns)} "
                "WHERE id = ?", [*columns.values(), petition.id])
            db.execute(
                "INSERT INTO petition_events (petition_id, kind, staff, from_status, to_status, "
                "text, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [petition.id, done.kind, by, petition.status if done.to_status else None,
                 done.to_status, done.text, as_json(done.details), iso(now)])
        return petition

    @serialised
    def record_petition_event(self, petition_id: int, kind: str, by: str, text: str | None,
                              details: dict[str, Any], now: datetime) -> None:
        self._insert("petition_events", petition_id=petition_id, kind=kind, staff=by,
                     text=text, details=as_json(details), created_at=iso(now))

    @serialised
    def set_answer_delivery(self, petition_id: int, details: dict[str, Any]) -> None:
        self.db.execute("UPDATE petitions SET answer_delivery = ? WHERE id = ?",
                        [as_json(details), petition_id])


def _order(order: str) -> str:
    if order == "newest":
        return "created_at DESC, id DESC"
    if order != "urgency":
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    # Open petitions first, the earliest due (so the overdue) first; then the others, newest
    # first.
    return (f"CASE WHEN {_IS_OPEN} THEN 0 ELSE 1 END, "
            f"CASE WHEN {_IS_OPEN} THEN due_date END, "
            f"CASE WHEN {_IS_OPEN} THEN id ELSE -id END")


def _day_start_utc(day: date) -> str:
    return iso(datetime.combine(day, time(), VIETNAM))
