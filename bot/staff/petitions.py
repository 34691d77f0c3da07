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
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from bot.citizen_messages import CitizenMessenger, Outcome
from bot.messages import Button, Reply
from bot.storage import Store
from bot.storage.database import iso, time_or_none
from bot.storage.petition_search import fold
from bot.storage.petition_workflow import (  # noqa: F401  (the desk's pages use them from here)
    ORDERS,
    UNASSIGNED,
    InboxFilters,
    PetitionChange,
)
from bot.storage.petitions import Petition
from bot.vocabulary import CHANNELS as CHANNEL_TERMS
from bot.vocabulary import OPEN_PETITION_STATUSES, PETITION_STATUSES, VIETNAM
from knowledge.base import Knowledge

STATUSES = PETITION_STATUSES
OPEN_STATUSES = OPEN_PETITION_STATUSES
NEARLY_DUE_WORKING_DAYS = 2
NO_FILTERS = InboxFilters()
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
CHANNELS = CHANNEL_TERMS.values
SUMMARY_CHARS = 160
CONVERSATION_SIDE = 30
MAX_TEXT_CHARS = 10_000
MAX_AGENCY_CHARS = 200


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
    petition: Petition
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
        self.search = store.petition_search

    # --- reading ------------------------------------------------------------------------

    def inbox(self, filters: InboxFilters = NO_FILTERS, page: int = 1,
              page_size: int = 50) -> InboxPage:
        """One page of petitions matching `filters`, most urgent (or newest) first."""
        if page_size < 1:
            raise ValueError(f"page_size must be 1 or more, not {page_size}")
        page = max(1, page)
        self.fill_fields()
        today = self.today()
        if filters.field:
            filters = replace(filters, field=_nfc(filters.field))
        total, rows = self.store.inbox_page(
            filters, today=today, nearly_due_until=self._nearly_due_until(today),
            summary_chars=SUMMARY_CHARS, limit=page_size, offset=(page - 1) * page_size)
        return InboxPage([self._inbox_row(row, today) for row in rows], total, page, page_size)

    def petition(self, code: str) -> PetitionView:
        """Everything the petition's page shows; PetitionNotFound if there is no such code."""
        self.fill_fields()
        petition = self._petition(code)
        events = [_event(event) for event in self.store.petition_events(petition.id)]
        original = None
        if petition.duplicate_of is not None:
            found = self.store.petition_code_and_status(petition.duplicate_of)
            original = PetitionLink(*found) if found else None
        duplicates = [PetitionLink(*link) for link in self.store.duplicates_of(petition.id)]
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
        return self.store.working_officers()

    def today(self) -> date:
        return self.clock().astimezone(VIETNAM).date()

    def fill_fields(self) -> int:
        """Fills `field` from the catalog for petitions the desk has not seen yet; returns how
        many got one. Cheap when nothing is new: a lookup of the last id."""
        top = self.store.last_petition_id()
        if top <= self._fields_through:
            return 0
        procedures = self.knowledge.procedures
        found = [(_nfc(name), petition_id) for petition_id, procedure_code
                 in self.store.petitions_without_field(self._fields_through, top)
                 if (name := (procedures.get(procedure_code) or {}).get("field"))]
        if found:
            self.store.set_fields(found)
        self._fields_through = top
        return len(found)

    # --- actions ------------------------------------------------------------------------

    def assign(self, code: str, staff_username: str | None, agency: str | None,
               by: str) -> ActionResult:
        """Give the petition to an officer and/or an agency (None takes it away)."""
        staff_username = (staff_username or "").strip().lower() or None
        agency = _clean(agency, MAX_AGENCY_CHARS, "Tên cơ quan") if agency else None
        if staff_username is not None:
            if not self.store.is_working_officer(staff_username):
                raise DeskError(f"Không có cán bộ đang hoạt động tên '{staff_username}' để "
                                "giao phản ánh.")

        def change(row: Petition) -> PetitionChange:
            if (row.assigned_to, row.assigned_agency) == (staff_username, agency):
                raise DeskError("Phản ánh đã được giao như vậy rồi.")
            return PetitionChange(
                "assigned", columns={"assigned_to": staff_username, "assigned_agency": agency},
                details={"assigned_to": staff_username, "assigned_agency": agency,
                         "before": {"assigned_to": row.assigned_to,
                                    "assigned_agency": row.assigned_agency}})

        row = self._apply(code, by, change)
        return ActionResult(row.code, row.status)

    def add_note(self, code: str, text: str, by: str) -> ActionResult:
        """An internal note: kept in the history, never sent to the citizen."""
        text = _clean(text, MAX_TEXT_CHARS, "Ghi chú")
        row = self._apply(code, by, lambda row: PetitionChange("note", text=text))
        return ActionResult(row.code, row.status)

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

        def change(row: Petition) -> PetitionChange:
            _check_status_change(row.status, status)
            columns: dict[str, Any] = {}
            if status == "closed":
                columns["closed_at"] = self._now()
            elif row.status == "closed":
                columns["closed_at"] = None
            if row.status == "duplicate":
                columns["duplicate_of"] = None
            return PetitionChange("status", status, columns, message)

        row = self._apply(code, by, change)
        replies = self._status_replies(row.code, status, message)
        outcome = await self._notify(row, replies, f"status.{status}", by)
        return ActionResult(row.code, status, outcome)

    async def answer(self, code: str, text: str, by: str, close: bool = False) -> ActionResult:
        """Store the agency's answer, mark the petition answered (or closed) and send the answer
        to the citizen; whether it arrived is kept in `answer_delivery` and the history."""
        text = _clean(text, MAX_TEXT_CHARS, "Câu trả lời")
        status = "closed" if close else "answered"

        def change(row: Petition) -> PetitionChange:
            if row.status not in ANSWERABLE:
                label = self._t(PETITION_STATUSES.text_key(row.status))
                raise DeskError(f"Phản ánh đang ở trạng thái \"{label}\": mở lại (chuyển sang "
                                "Đang xử lý) trước khi trả lời.")
            now = self._now()
            columns = {"answer": text, "answered_at": now, "answer_delivery": None}
            if close:
                columns["closed_at"] = now
            return PetitionChange("answer", status, columns, text, {"close": close})

        row = self._apply(code, by, change)
        replies = [Reply(self._t("petition.notice.answer", code=row.code, answer=text))]
        if close:
            replies.append(self._closed_reply(row.code))
        outcome = await self._notify(row, replies, "answer", by)
        self.store.set_answer_delivery(row.id, _outcome_details(outcome, row.channel,
                                                                iso(self._now())))
        return ActionResult(row.code, status, outcome)

    async def transfer(self, code: str, agency: str, by: str) -> ActionResult:
        """Send the petition on to the competent agency, which becomes its assigned agency."""
        agency = _clean(agency, MAX_AGENCY_CHARS, "Tên cơ quan")

        def change(row: Petition) -> PetitionChange:
            _check_open(row.status, "chuyển cơ quan khác", self._t)
            return PetitionChange("transfer", "transferred", {"assigned_agency": agency},
                                  agency, {"agency": agency, "before": row.assigned_agency})

        row = self._apply(code, by, change)
        replies = [Reply(self._t("petition.notice.transferred", code=row.code,
                                 agency=agency))]
        outcome = await self._notify(row, replies, "transferred", by)
        return ActionResult(row.code, "transferred", outcome)

    async def mark_duplicate(self, code: str, original_code: str, by: str) -> ActionResult:
        """Mark the petition as repeating an earlier one, which will carry the answer."""
        found: dict[str, Petition] = {}

        def change(row: Petition) -> PetitionChange:
            original = found["original"] = self._petition(original_code)
            if original.id == row.id:
                raise DeskError("Một phản ánh không thể trùng với chính nó.")
            if original.status == "duplicate":
                target = self.store.petition_code_and_status(original.duplicate_of or 0)
                where = f" {target[0]}" if target else ""
                raise DeskError(f"Phản ánh {original.code} cũng là phản ánh trùng; hãy chọn "
                                f"phản ánh gốc{where}.")
            _check_open(row.status, "đánh dấu trùng", self._t)
            return PetitionChange("duplicate", "duplicate", {"duplicate_of": original.id},
                                  None, {"original": original.code})

        row = self._apply(code, by, change)
        replies = [Reply(self._t("petition.notice.duplicate", code=row.code,
                                 original=found["original"].code))]
        outcome = await self._notify(row, replies, "duplicate", by)
        return ActionResult(row.code, "duplicate", outcome)

    # --- helpers ------------------------------------------------------------------------

    def _apply(self, code: str, by: str,
               change: Callable[[Petition], PetitionChange]) -> Petition:
        """Applies `change` and writes its history row in one transaction (the store's);
        the petition as it was before."""
        before = self.store.apply_petition_change(_code(code), by, self._now(), change)
        if before is None:
            raise PetitionNotFound(f"Không có phản ánh mã {_code(code)}.")
        return before

    async def _notify(self, row: Petition, replies: list[Reply], notice: str,
                      by: str) -> Outcome:
        """Sends a notice to the citizen and records in the history what became of it."""
        outcome = await self.messenger.send(row.channel, row.user_id, replies,
                                            reason=_reason(row.id))
        details = {"notice": notice, **_outcome_details(outcome, row.channel, None)}
        self.store.record_petition_event(row.id, "delivery", by, outcome.error, details,
                                         self._now())
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

    def _petition(self, code: str) -> Petition:
        petition = self.store.desk_petition(_code(code))
        if petition is None:
            raise PetitionNotFound(f"Không có phản ánh mã {_code(code)}.")
        return petition

    def _conversation(self, petition: Petition) -> list[ConversationLine]:
        """The citizen's messages around the time they sent the petition (kept 90 days, and
        gone when they deleted their data)."""
        if petition.user_id is None:
            return []
        return [ConversationLine(r["direction"], r["text"], datetime.fromisoformat(
            r["created_at"])) for r in self.store.messages_around(
                petition.channel, petition.user_id, petition.created_at, CONVERSATION_SIDE)]

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

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)


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


def _outcome_details(outcome: Outcome, channel: str, at: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"status": outcome.status, "error": outcome.error,
                               "channel": channel, "outbox_id": outcome.outbox_id}
    if at is not None:
        details["at"] = at
    return details


def _listed(items: Any) -> Iterable[Any]:
    return items if isinstance(items, list) else []


def _event(row: dict[str, Any]) -> Event:
    return Event(row["id"], row["kind"], row["staff"], row["from_status"], row["to_status"],
                 row["text"], row["details"], datetime.fromisoformat(row["created_at"]))


def _delivery(row: dict[str, Any]) -> Delivery:
    replies = json.loads(row["replies"])
    text = "\n\n".join(str(reply.get("text", "")) for reply in _listed(replies)
                       if isinstance(reply, dict))
    return Delivery(row["id"], row["channel"], row["status"], row["error"], text,
                    datetime.fromisoformat(row["created_at"]), time_or_none(row["delivered_at"]))


def statuses_from(values: Sequence[str]) -> tuple[str, ...]:
    """The known statuses among `values` (from a query string), in STATUSES order."""
    wanted = set(values)
    return tuple(status for status in STATUSES if status in wanted)


def shortened(text: str, limit: int = SUMMARY_CHARS) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
