"""The petition desk: what staff read about petitions and what they do with them.

Example:
    desk = PetitionDesk(store, knowledge, messenger, default_calendar())
    page = desk.inbox(InboxFilters(statuses=("new",), overdue=True), page=1)
    page.total, [row.code for row in page.rows]
    view = desk.petition("PA-2026-000123")          # everything the petition's page shows
    result = await desk.answer("PA-2026-000123", "Đã sửa đèn.", by="lan", close=True)
    result.delivery.status                          # "delivered", "queued" or "failed"

Every action changes the petition and writes its history row (`petition_events`) in one
transaction, committed before the citizen is told anything; what the citizen's channel then
did with the notice is another history row, and for an answer also `answer_delivery`. A refused
action raises DeskError with a sentence for the officer, in Vietnamese.

Due dates count working days over a calendar (bot/working_days.WorkingCalendar in production):
open petitions (new, in progress, waiting for the citizen) past their due date are overdue, and
those with at most two working days left are nearly due. The inbox filters and orders in SQL
over the indexes of migration 3, so a page stays fast on a large table (benchmarks/
petition_desk_bench.py); its word search ignores case and diacritics (petition_search.py).

A petition's field (lĩnh vực) is its procedure's field in the knowledge catalog: the desk fills
the `field` column for petitions it has not seen yet before each read, so that the inbox can
filter on it in SQL and the reports count it.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from bot.citizen_messages import CitizenMessenger, Outcome
from bot.messages import Button, Reply
from bot.storage import Store
from bot.storage.petition_search import PetitionSearch, fold
from bot.vocabulary import CHANNELS as CHANNEL_TERMS
from bot.vocabulary import OPEN_PETITION_STATUSES, PETITION_STATUSES, VIETNAM
from knowledge.base import Knowledge

STATUSES = PETITION_STATUSES
OPEN_STATUSES = OPEN_PETITION_STATUSES
NEARLY_DUE_WORKING_DAYS = 2
# change_status() moves between these; answered, transferred and duplicate need what only
# answer(), transfer() and mark_duplicate() take. Back to in_progress reopens a petition.
STATUS_CHANGES: dict[str, tuple[str, ...]] = {
    "new": ("in_progress", "waiting", "closed"),
    "in_progress": ("waiting", "closed"),
    "waiting": ("in_progress", "closed"),
    "answered": ("in_progress", "closed"),
    "closed": ("in_progress",),
    "transferred": ("in_progress",),
    "duplicate": ("in_progress",),
}
ANSWERABLE = (*OPEN_STATUSES, "answered")
RATING_SCORES = (5, 4, 3, 2, 1)
ORDERS = ("urgency", "newest")
CHANNELS = CHANNEL_TERMS.values
UNASSIGNED = "-"
SUMMARY_CHARS = 160
CONVERSATION_SIDE = 30
MAX_TEXT_CHARS = 10_000
MAX_AGENCY_CHARS = 200
_MARKERS = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
_IS_OPEN = f"status IN ({_MARKERS})"


class WorkingDays(Protocol):
    """What the desk needs of a working-day calendar (bot.working_days.WorkingCalendar)."""

    def is_working_day(self, day: date) -> bool: ...

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` through `end`; negative when `end` is before `start`."""
        ...


class DeskError(ValueError):
    """An action that cannot be done; the message tells the officer why, in Vietnamese."""


class PetitionNotFound(DeskError):
    pass


@dataclass(frozen=True)
class InboxFilters:
    statuses: tuple[str, ...] = ()
    agency: str | None = None          # part of the citizen's agency or the assigned one
    field: str | None = None           # exactly, as the catalog names it
    channel: str | None = None
    assigned_to: str | None = None     # a username, or UNASSIGNED
    overdue: bool = False              # with nearly_due: either of them
    nearly_due: bool = False
    received_from: date | None = None  # Vietnamese calendar days, both included
    received_to: date | None = None
    search: str | None = None          # code, content, name, phone or e-mail
    order: str = "urgency"             # or "newest"


@dataclass(frozen=True)
class DueState:
    due_date: date
    open: bool
    overdue: bool
    nearly_due: bool
    working_days_left: int | None  # None once the petition is no longer open; < 0 when late
    certain: bool = True           # False when the calendar does not know that year's holidays


@dataclass(frozen=True)
class InboxRow:
    id: int
    code: str
    created_at: datetime
    channel: str
    name: str | None
    summary: str
    agency: str | None
    assigned_agency: str | None
    field: str | None
    assigned_to: str | None
    status: str
    anonymised: bool
    due: DueState


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class Attachment:
    name: str
    mime: str
    size: int | None
    ref: str | None


@dataclass(frozen=True)
class DeskPetition:
    """A petition with the staff side's columns (store.Petition has the citizen's only)."""

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
    attachments: list[Attachment]
    status: str
    due_date: date
    answer: str | None
    answered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    anonymised: bool
    assigned_to: str | None
    assigned_agency: str | None
    field: str | None
    duplicate_of: int | None
    closed_at: datetime | None
    answer_delivery: dict[str, Any] | None


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    staff: str | None
    from_status: str | None
    to_status: str | None
    text: str | None
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ConversationLine:
    direction: str  # "in" from the citizen, "out" from the bot
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One message sent to the citizen about the petition (an outbox row)."""

    id: int
    channel: str
    status: str  # "pending" (web chat: not fetched yet), "delivered" or "failed"
    error: str | None
    text: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class PetitionLink:
    code: str
    status: str


@dataclass(frozen=True)
class PetitionView:
    petition: DeskPetition
    due: DueState
    procedure_name: str | None
    conversation: list[ConversationLine]
    history: list[Event]
    notes: list[Event]
    deliveries: list[Delivery]
    original: PetitionLink | None
    duplicates: list[PetitionLink]
    status_changes: tuple[str, ...]
    can_answer: bool
    can_transfer: bool
    can_mark_duplicate: bool

    @property
    def last_notice(self) -> Event | None:
        """The latest notice to the citizen and what became of it (also when the petition is
        anonymised and nothing could be sent, which leaves no outbox row)."""
        sent = [event for event in self.history if event.kind == "delivery"]
        return sent[-1] if sent else None


@dataclass(frozen=True)
class ActionResult:
    code: str
    status: str
    delivery: Outcome | None = None


@dataclass
class _Change:
    """What an action does to a petition row inside its transaction."""

    kind: str
    to_status: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class PetitionDesk:
    def __init__(self, store: Store, knowledge: Knowledge, messenger: CitizenMessenger,
                 calendar: WorkingDays,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.knowledge = knowledge
        self.messenger = messenger
        self.calendar = calendar
        self.clock = clock
        # Petitions up to this id have had their field filled from the catalog.
        self._fields_through = 0
        self.search = PetitionSearch(store)

    # --- reading ------------------------------------------------------------------------

    def inbox(self, filters: InboxFilters = InboxFilters(), page: int = 1,
              page_size: int = 50) -> InboxPage:
        """One page of petitions matching `filters`, most urgent (or newest) first."""
        if page_size < 1:
            raise ValueError(f"page_size must be 1 or more, not {page_size}")
        page = max(1, page)
        self.fill_fields()
        today = self.today()
        where, params = self._where(filters, today)
        total = self.store.rows(f"SELECT count(*) AS n FROM petitions WHERE {where}",
                                params)[0]["n"]
        rows = self.store.rows(
            "SELECT id, code, created_at, channel, name, "
            f"substr(content, 1, {SUMMARY_CHARS + 1}) AS summary, agency, assigned_agency, "
            "field, assigned_to, status, anonymised, due_date FROM petitions "
            f"WHERE {where} ORDER BY {_order(filters.order)} LIMIT ? OFFSET ?",
            [*params, page_size, (page - 1) * page_size])
        return InboxPage([self._inbox_row(row, today) for row in rows], total, page, page_size)

    def petition(self, code: str) -> PetitionView:
        """Everything the petition's page shows; PetitionNotFound if there is no such code."""
        self.fill_fields()
        row = self._row(code)
        petition = _desk_petition(row)
        events = [_event(event) for event in self.store.rows(
            "SELECT * FROM petition_events WHERE petition_id = ? ORDER BY id", [petition.id])]
        original = None
        if petition.duplicate_of is not None:
            found = self.store.rows("SELECT code, status FROM petitions WHERE id = ?",
                                    [petition.duplicate_of])
            original = PetitionLink(found[0]["code"], found[0]["status"]) if found else None
        duplicates = [PetitionLink(r["code"], r["status"]) for r in self.store.rows(
            "SELECT code, status FROM petitions WHERE duplicate_of = ? ORDER BY id",
            [petition.id])]
        record = self.knowledge.procedures.get(petition.procedure_code or "")
        return PetitionView(
            petition=petition,
            due=self.due_state(petition.status, petition.due_date),
            procedure_name=record["name"] if record else None,
            conversation=self._conversation(petition),
            history=events,
            notes=[event for event in events if event.kind == "note"],
            deliveries=[_delivery(r) for r in self.messenger.outcomes(_reason(petition.id))],
            original=original,
            duplicates=duplicates,
            status_changes=STATUS_CHANGES.get(petition.status, ()),
            can_answer=petition.status in ANSWERABLE,
            can_transfer=petition.status in OPEN_STATUSES,
            can_mark_duplicate=petition.status in OPEN_STATUSES,
        )

    def due_state(self, status: str, due_date: date) -> DueState:
        certain = _covers(self.calendar, due_date)
        if status not in OPEN_STATUSES:
            return DueState(due_date, False, False, False, None, certain)
        today = self.today()
        left = self.calendar.working_days_between(today, due_date)
        overdue = due_date < today
        return DueState(due_date, True, overdue,
                        not overdue and left <= NEARLY_DUE_WORKING_DAYS, left, certain)

    def fields(self) -> list[str]:
        """Every field (lĩnh vực) of the catalog, sorted, for the inbox's filter."""
        names = {_nfc(record["field"]) for record in self.knowledge.procedures.values()
                 if record.get("field")}
        return sorted(names, key=fold)

    def staff_choices(self) -> list[dict[str, Any]]:
        """Active accounts that can work petitions, for the assignment form."""
        return self.store.rows(
            "SELECT username, display_name, agency FROM staff_accounts WHERE active = 1 "
            "AND role IN ('officer', 'admin') ORDER BY display_name, username")

    def today(self) -> date:
        return self.clock().astimezone(VIETNAM).date()

    def fill_fields(self) -> int:
        """Fills `field` from the catalog for petitions the desk has not seen yet; returns how
        many got one. Cheap when nothing is new: a lookup of the last id."""
        top = self.store.rows("SELECT max(id) AS top FROM petitions")[0]["top"] or 0
        if top <= self._fields_through:
            return 0
        unfilled = self.store.rows(
            "SELECT id, procedure_code FROM petitions WHERE id > ? AND id <= ? "
            "AND field IS NULL AND procedure_code IS NOT NULL", [self._fields_through, top])
        procedures = self.knowledge.procedures
        found = [(_nfc(name), row["id"]) for row in unfilled
                 if (name := (procedures.get(row["procedure_code"]) or {}).get("field"))]
        if found:
            # One statement per petition by its rowid: fast, and only the first look at an
            # old database has many to do.
            with self.store.writing() as db:
                db.conn.executemany(
                    "UPDATE petitions SET field = ? WHERE id = ? AND field IS NULL", found)
        self._fields_through = top
        return len(found)

    # --- actions ------------------------------------------------------------------------

    def assign(self, code: str, staff_username: str | None, agency: str | None,
               by: str) -> ActionResult:
        """Give the petition to an officer and/or an agency (None takes it away)."""
        staff_username = (staff_username or "").strip().lower() or None
        agency = _clean(agency, MAX_AGENCY_CHARS, "Tên cơ quan") if agency else None
        if staff_username is not None:
            found = self.store.rows(
                "SELECT 1 FROM staff_accounts WHERE username = ? AND active = 1 "
                "AND role IN ('officer', 'admin')", [staff_username])
            if not found:
                raise DeskError(f"Không có cán bộ đang hoạt động tên '{staff_username}' để "
                                "giao phản ánh.")

        def change(row: dict[str, Any]) -> _Change:
            if (row["assigned_to"], row["assigned_agency"]) == (staff_username, agency):
                raise DeskError("Phản ánh đã được giao như vậy rồi.")
            return _Change("assigned", columns={"assigned_to": staff_username,
                                                "assigned_agency": agency},
                           details={"assigned_to": staff_username, "assigned_agency": agency,
                                    "before": {"assigned_to": row["assigned_to"],
                                               "assigned_agency": row["assigned_agency"]}})

        row = self._apply(code, by, change)
        return ActionResult(row["code"], row["status"])

    def add_note(self, code: str, text: str, by: str) -> ActionResult:
        """An internal note: kept in the history, never sent to the citizen."""
        text = _clean(text, MAX_TEXT_CHARS, "Ghi chú")
        row = self._apply(code, by, lambda row: _Change("note", text=text))
        return ActionResult(row["code"], row["status"])

    async def change_status(self, code: str, status: str, by: str,
                            message_to_citizen: str | None = None) -> ActionResult:
        """Move the petition to `status` (see STATUS_CHANGES) and tell the citizen.

        Waiting for the citizen needs a message saying what they should add; closing sets
        closed_at and asks the citizen to rate the handling (5 to 1).
        """
        message = _clean(message_to_citizen, MAX_TEXT_CHARS, "Tin nhắn cho người dân") \
            if message_to_citizen and message_to_citizen.strip() else None
        if status not in STATUSES:
            raise DeskError(f"Trạng thái không hợp lệ: {status!r}.")
        if status == "waiting" and message is None:
            raise DeskError("Cần ghi rõ người dân phải bổ sung thông tin gì: tin nhắn này được "
                            "gửi cho người dân.")

        def change(row: dict[str, Any]) -> _Change:
            _check_status_change(row["status"], status)
            columns: dict[str, Any] = {}
            if status == "closed":
                columns["closed_at"] = self._now()
            elif row["status"] == "closed":
                columns["closed_at"] = None
            if row["status"] == "duplicate":
                columns["duplicate_of"] = None
            return _Change("status", status, columns, message)

        row = self._apply(code, by, change)
        replies = self._status_replies(row["code"], status, message)
        outcome = await self._notify(row, replies, f"status.{status}", by)
        return ActionResult(row["code"], status, outcome)

    async def answer(self, code: str, text: str, by: str, close: bool = False) -> ActionResult:
        """Store the agency's answer, mark the petition answered (or closed) and send the answer
        to the citizen; whether it arrived is kept in `answer_delivery` and the history."""
        text = _clean(text, MAX_TEXT_CHARS, "Câu trả lời")
        status = "closed" if close else "answered"

        def change(row: dict[str, Any]) -> _Change:
            if row["status"] not in ANSWERABLE:
                label = self._t(PETITION_STATUSES.text_key(row['status']))
                raise DeskError(f"Phản ánh đang ở trạng thái \"{label}\": mở lại (chuyển sang "
                                "Đang xử lý) trước khi trả lời.")
            now = self._now()
            columns = {"answer": text, "answered_at": now, "answer_delivery": None}
            if close:
                columns["closed_at"] = now
            return _Change("answer", status, columns, text, {"close": close})

        row = self._apply(code, by, change)
        replies = [Reply(self._t("petition.notice.answer", code=row["code"], answer=text))]
        if close:
            replies.append(self._closed_reply(row["code"]))
        outcome = await self._notify(row, replies, "answer", by)
        self.store.execute("UPDATE petitions SET answer_delivery = ? WHERE id = ?",
                           [json.dumps(_outcome_details(outcome, row["channel"], self._now()),
                                       ensure_ascii=False), row["id"]])
        return ActionResult(row["code"], status, outcome)

    async def transfer(self, code: str, agency: str, by: str) -> ActionResult:
        """Send the petition on to the competent agency, which becomes its assigned agency."""
        agency = _clean(agency, MAX_AGENCY_CHARS, "Tên cơ quan")

        def change(row: dict[str, Any]) -> _Change:
            _check_open(row["status"], "chuyển cơ quan khác", self._t)
            return _Change("transfer", "transferred", {"assigned_agency": agency}, agency,
                           {"agency": agency, "before": row["assigned_agency"]})

        row = self._apply(code, by, change)
        replies = [Reply(self._t("petition.notice.transferred", code=row["code"],
                                 agency=agency))]
        outcome = await self._notify(row, replies, "transferred", by)
        return ActionResult(row["code"], "transferred", outcome)

    async def mark_duplicate(self, code: str, original_code: str, by: str) -> ActionResult:
        """Mark the petition as repeating an earlier one, which will carry the answer."""
        found: dict[str, Any] = {}

        def change(row: dict[str, Any]) -> _Change:
            original = found["original"] = self._row(original_code)
            if original["id"] == row["id"]:
                raise DeskError("Một phản ánh không thể trùng với chính nó.")
            if original["status"] == "duplicate":
                target = self.store.rows("SELECT code FROM petitions WHERE id = ?",
                                         [original["duplicate_of"]])
                where = f" {target[0]['code']}" if target else ""
                raise DeskError(f"Phản ánh {original['code']} cũng là phản ánh trùng; hãy chọn "
                                f"phản ánh gốc{where}.")
            _check_open(row["status"], "đánh dấu trùng", self._t)
            return _Change("duplicate", "duplicate", {"duplicate_of": original["id"]},
                           None, {"original": original["code"]})

        row = self._apply(code, by, change)
        replies = [Reply(self._t("petition.notice.duplicate", code=row["code"],
                                 original=found["original"]["code"]))]
        outcome = await self._notify(row, replies, "duplicate", by)
        return ActionResult(row["code"], "duplicate", outcome)

    # --- helpers ------------------------------------------------------------------------

    def _apply(self, code: str, by: str, change: Callable[[dict[str, Any]], _Change]
               ) -> dict[str, Any]:
        """Reads the petition under the write lock, applies `change` to it and writes its
        history row, in one transaction. Returns the petition as it was before."""
        with self.store.writing() as db:
            found = list(db.query("SELECT * FROM petitions WHERE code = ?", [_code(code)]))
            if not found:
                raise PetitionNotFound(f"Không có phản ánh mã {_code(code)}.")
            row = found[0]
            done = change(row)
            now = self._now()
            columns = {**done.columns, "updated_at": now}
            if done.to_status is not None:
                columns["status"] = done.to_status
            db.execute(
                f"UPDATE petitions SET {', '.join(f'{name} = ?' for name in columns)} "
                "WHERE id = ?", [*columns.values(), row["id"]])
            db.execute(
                "INSERT INTO petition_events (petition_id, kind, staff, from_status, to_status, "
                "text, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [row["id"], done.kind, by, row["status"] if done.to_status else None,
                 done.to_status, done.text, _json(done.details), now])
        return row

    async def _notify(self, row: dict[str, Any], replies: list[Reply], notice: str,
                      by: str) -> Outcome:
        """Sends a notice to the citizen and records in the history what became of it."""
        outcome = await self.messenger.send(row["channel"], row["user_id"], replies,
                                            reason=_reason(row["id"]))
        details = {"notice": notice, **_outcome_details(outcome, row["channel"], None)}
        with self.store.writing() as db:
            db.execute(
                "INSERT INTO petition_events (petition_id, kind, staff, text, details, "
                "created_at) VALUES (?, 'delivery', ?, ?, ?, ?)",
                [row["id"], by, outcome.error, _json(details), self._now()])
        return outcome

    def _status_replies(self, code: str, status: str, message: str | None) -> list[Reply]:
        if status == "waiting":
            assert message is not None
            return [Reply(self._t("petition.notice.waiting", code=code, message=message))]
        replies = []
        if status != "closed" or message:
            text = self._t("petition.notice.status", code=code,
                           status=self._t(PETITION_STATUSES.text_key(status)))
            replies.append(Reply(f"{text}\n\n{message}" if message else text))
        if status == "closed":
            replies.append(self._closed_reply(code))
        return replies

    def _closed_reply(self, code: str) -> Reply:
        return Reply(self._t("petition.notice.closed", code=code), tuple(
            Button(f"{score} – {self._t(f'rating.score.{score}')}",
                   f"rate:petition:{code}:{score}") for score in RATING_SCORES))

    def _row(self, code: str) -> dict[str, Any]:
        rows = self.store.rows("SELECT * FROM petitions WHERE code = ?", [_code(code)])
        if not rows:
            raise PetitionNotFound(f"Không có phản ánh mã {_code(code)}.")
        return rows[0]

    def _conversation(self, petition: DeskPetition) -> list[ConversationLine]:
        """The citizen's messages around the time they sent the petition (kept 90 days, and
        gone when they deleted their data)."""
        if petition.user_id is None:
            return []
        who = [petition.channel, petition.user_id, _iso(petition.created_at)]
        before = self.store.rows(
            "SELECT direction, text, created_at FROM messages WHERE channel = ? AND user_id = ? "
            "AND created_at <= ? ORDER BY created_at DESC, id DESC LIMIT ?",
            [*who, CONVERSATION_SIDE])
        after = self.store.rows(
            "SELECT direction, text, created_at FROM messages WHERE channel = ? AND user_id = ? "
            "AND created_at > ? ORDER BY created_at, id LIMIT ?", [*who, CONVERSATION_SIDE])
        return [ConversationLine(r["direction"], r["text"], datetime.fromisoformat(
            r["created_at"])) for r in [*reversed(before), *after]]

    def _where(self, filters: InboxFilters, today: date) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        unknown = [status for status in filters.statuses if status not in STATUSES]
        if unknown:
            raise ValueError(f"unknown petition status {unknown[0]!r}")
        if filters.statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in filters.statuses)})")
            params += list(filters.statuses)
        if filters.overdue or filters.nearly_due:
            clauses.append(_IS_OPEN)
            if filters.nearly_due:
                clauses.append("due_date <= ?")
                params.append(self._nearly_due_until(today).isoformat())
            if not filters.overdue:
                clauses.append("due_date >= ?")
                params.append(today.isoformat())
            elif not filters.nearly_due:
                clauses.append("due_date < ?")
                params.append(today.isoformat())
        if filters.agency and filters.agency.strip():
            sql, values = self.search.agency_clause(filters.agency)
            clauses.append(sql)
            params += values
        if filters.field:
            clauses.append("field = ?")
            params.append(_nfc(filters.field))
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
            sql, values = self.search.clause(filters.search)
            clauses.append(sql)
            params += values
        return " AND ".join(clauses) or "1 = 1", params

    def _nearly_due_until(self, today: date) -> date:
        """The last due date with at most NEARLY_DUE_WORKING_DAYS working days left today."""
        day = today
        for _ in range(366):
            if self.calendar.working_days_between(today, day + timedelta(days=1)) > \
                    NEARLY_DUE_WORKING_DAYS:
                return day
            day += timedelta(days=1)
        return day

    def _inbox_row(self, row: dict[str, Any], today: date) -> InboxRow:
        summary = shortened(row["summary"])
        return InboxRow(
            id=row["id"], code=row["code"],
            created_at=datetime.fromisoformat(row["created_at"]), channel=row["channel"],
            name=row["name"], summary=summary, agency=row["agency"],
            assigned_agency=row["assigned_agency"], field=row["field"],
            assigned_to=row["assigned_to"], status=row["status"],
            anonymised=bool(row["anonymised"]),
            due=self.due_state(row["status"], date.fromisoformat(row["due_date"])))

    def _t(self, key: str, **values: object) -> str:
        return self.knowledge.handkept.text(key, **values)

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")


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


def _check_status_change(current: str, wanted: str) -> None:
    if current == wanted:
        raise DeskError("Phản ánh đã ở trạng thái này rồi.")
    if wanted in ("answered", "transferred", "duplicate"):
        action = {"answered": "Trả lời", "transferred": "Chuyển cơ quan khác",
                  "duplicate": "Đánh dấu trùng"}[wanted]
        raise DeskError(f"Dùng mục \"{action}\" để chuyển phản ánh sang trạng thái này.")
    if wanted not in STATUS_CHANGES.get(current, ()):
        raise DeskError("Không thể chuyển phản ánh từ trạng thái hiện tại sang trạng thái này.")


def _check_open(status: str, action: str, t: Callable[..., str]) -> None:
    if status not in OPEN_STATUSES:
        raise DeskError(f"Chỉ {action} được khi phản ánh đang mở; phản ánh đang ở trạng thái "
                        f"\"{t(PETITION_STATUSES.text_key(status))}\".")


def _clean(text: str | None, limit: int, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise DeskError(f"{what} không được để trống.")
    if len(cleaned) > limit:
        raise DeskError(f"{what} dài quá {limit:,} ký tự.".replace(",", "."))
    return cleaned


def _nfc(text: str) -> str:
    # Some imported catalog names are in decomposed form; what is stored and compared is
    # composed, as browsers send it.
    return unicodedata.normalize("NFC", text)


def _covers(calendar: WorkingDays, day: date) -> bool:
    # The production calendar knows which years' holidays it has; a simple one may not say.
    covers = getattr(calendar, "covers", None)
    return bool(covers(day)) if callable(covers) else True


def _code(code: str) -> str:
    return code.strip().upper()


def _reason(petition_id: int) -> str:
    return f"petition:{petition_id}"


def _day_start_utc(day: date) -> str:
    return datetime.combine(day, time(), VIETNAM).astimezone(UTC).isoformat(
        timespec="seconds")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _outcome_details(outcome: Outcome, channel: str, at: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"status": outcome.status, "error": outcome.error,
                               "channel": channel, "outbox_id": outcome.outbox_id}
    if at is not None:
        details["at"] = at
    return details


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _attachments(raw: str | None) -> list[Attachment]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    return [_attachment(item) for item in _listed(items) if isinstance(item, dict)]


def _listed(items: Any) -> Iterable[Any]:
    return items if isinstance(items, list) else []


def _attachment(item: dict[str, Any]) -> Attachment:
    size = item.get("size")
    return Attachment(name=str(item.get("name") or "tệp không tên"),
                      mime=str(item.get("mime") or "không rõ"),
                      size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                      ref=str(item["ref"]) if item.get("ref") else None)


def _desk_petition(row: dict[str, Any]) -> DeskPetition:
    delivery = json.loads(row["answer_delivery"]) if row["answer_delivery"] else None
    return DeskPetition(
        id=row["id"], code=row["code"], channel=row["channel"], user_id=row["user_id"],
        name=row["name"], phone=row["phone"], email=row["email"], content=row["content"],
        agency=row["agency"], place=row["place"], procedure_code=row["procedure_code"],
        attachments=_attachments(row["attachments"]), status=row["status"],
        due_date=date.fromisoformat(row["due_date"]), answer=row["answer"],
        answered_at=_time(row["answered_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        anonymised=bool(row["anonymised"]), assigned_to=row["assigned_to"],
        assigned_agency=row["assigned_agency"], field=row["field"],
        duplicate_of=row["duplicate_of"], closed_at=_time(row["closed_at"]),
        answer_delivery=delivery if isinstance(delivery, dict) else None)


def _event(row: dict[str, Any]) -> Event:
    return Event(row["id"], row["kind"], row["staff"], row["from_status"], row["to_status"],
                 row["text"], json.loads(row["details"] or "{}"),
                 datetime.fromisoformat(row["created_at"]))


def _delivery(row: dict[str, Any]) -> Delivery:
    replies = json.loads(row["replies"])
    text = "\n\n".join(str(reply.get("text", "")) for reply in _listed(replies)
                       if isinstance(reply, dict))
    return Delivery(row["id"], row["channel"], row["status"], row["error"], text,
                    datetime.fromisoformat(row["created_at"]), _time(row["delivered_at"]))


def statuses_from(values: Sequence[str]) -> tuple[str, ...]:
    """The known statuses among `values` (from a query string), in STATUSES order."""
    wanted = set(values)
    return tuple(status for status in STATUSES if status in wanted)


def shortened(text: str, limit: int = SUMMARY_CHARS) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
