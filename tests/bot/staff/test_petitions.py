"""The petition desk as a library: the inbox's filters and pages, a petition's page, and the
actions on it with what the citizen is told through their channel."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.citizen_messages import CitizenMessenger
from bot.staff.petitions import (
    UNASSIGNED,
    DeskError,
    InboxFilters,
    PetitionDesk,
    PetitionNotFound,
)
from bot.storage import Store
from bot.working_days import default_calendar
from tests.bot.staff.petition_support import NOW, TODAY, Calendar, make_petition

ID_CARD = "1.014061"  # Cấp thẻ căn cước ... (field "Cấp, quản lý căn cước")
ID_CARD_FIELD = "Cấp, quản lý căn cước"
JPEG = {"name": "den_hong.jpg", "mime": "image/jpeg", "size": 250_000, "ref": "AgACAgUAAx0"}
PDF = {"name": "don.pdf", "mime": "application/pdf", "size": 1_300_000,
       "ref": "https://f.zalo.me/don.pdf"}


def codes(page) -> list[str]:
    return [row.code for row in page.rows]


def events(store: Store, code: str) -> list[dict]:
    return store.rows("SELECT e.* FROM petition_events e JOIN petitions p ON p.id = "
                      "e.petition_id WHERE p.code = ? ORDER BY e.id", [code])


def petition_row(store: Store, code: str) -> dict:
    return store.rows("SELECT * FROM petitions WHERE code = ?", [code])[0]


# --- the inbox -------------------------------------------------------------------------


def test_filters_by_status_channel_agency_and_assignment(store, desk) -> None:
    new = make_petition(store, agency="UBND phường An Bình")
    working = make_petition(store, channel="zalo", user="z1", status="in_progress",
                            assigned_to="lan", assigned_agency="Phòng Quản lý đô thị")
    closed = make_petition(store, channel="web", user="w1", status="closed")

    assert set(codes(desk.inbox(InboxFilters(statuses=("new", "in_progress"))))) == \
        {new, working}
    assert codes(desk.inbox(InboxFilters(channel="zalo"))) == [working]
    assert codes(desk.inbox(InboxFilters(agency="an bình"))) == [new]  # the citizen's agency
    assert codes(desk.inbox(InboxFilters(agency="PHUONG AN BINH"))) == [new]
    assert codes(desk.inbox(InboxFilters(agency="Quản lý đô thị"))) == [working]  # assigned
    assert codes(desk.inbox(InboxFilters(assigned_to="lan"))) == [working]
    assert set(codes(desk.inbox(InboxFilters(assigned_to=UNASSIGNED)))) == {new, closed}
    assert desk.inbox(InboxFilters(agency="%")).total == 0  # a wildcard is a character


def test_overdue_and_nearly_due_count_working_days_of_open_petitions(store, knowledge) -> None:
    # Wednesday 25/11; Thursday 26/11 is a holiday in this calendar.
    desk = PetitionDesk(store, knowledge, CitizenMessenger(store),
                        Calendar(holidays={date(2026, 11, 26)}), clock=lambda: NOW)
    late = make_petition(store, due=date(2026, 11, 24))
    today = make_petition(store, due=TODAY)
    friday = make_petition(store, due=date(2026, 11, 27), status="waiting")
    monday = make_petition(store, due=date(2026, 11, 30))   # 2 working days: Fri, Mon
    tuesday = make_petition(store, due=date(2026, 12, 1))   # 3
    make_petition(store, due=date(2026, 11, 20), status="answered")  # late, but answered

    assert codes(desk.inbox(InboxFilters(overdue=True))) == [late]
    assert codes(desk.inbox(InboxFilters(nearly_due=True))) == [today, friday, monday]
    assert desk.inbox(InboxFilters(overdue=True, nearly_due=True)).total == 4
    rows = {row.code: row.due for row in desk.inbox().rows}
    assert rows[late].overdue and rows[late].working_days_left == -1
    assert rows[today].nearly_due and rows[today].working_days_left == 0
    assert rows[monday].working_days_left == 2 and not rows[tuesday].nearly_due
    assert rows[tuesday].working_days_left == 3


def test_the_real_calendar_skips_tet(store, knowledge) -> None:
    thursday_before_tet = datetime(2026, 2, 12, 3, 0, tzinfo=UTC)
    desk = PetitionDesk(store, knowledge, CitizenMessenger(store), default_calendar(),
                        clock=lambda: thursday_before_tet)
    monday = make_petition(store, due=date(2026, 2, 23), created=thursday_before_tet)
    tuesday = make_petition(store, due=date(2026, 2, 24), created=thursday_before_tet)

    assert codes(desk.inbox(InboxFilters(nearly_due=True))) == [monday]
    assert desk.petition(tuesday).due.working_days_left == 3
    assert desk.petition(tuesday).due.certain


def test_received_dates_are_days_of_the_vietnamese_calendar(store, desk) -> None:
    # 24/11 16:59 UTC is 23:59 in Vietnam; 17:30 UTC is already 25/11 00:30 there.
    on_24th = make_petition(store, created=datetime(2026, 11, 24, 16, 59, tzinfo=UTC))
    on_25th = make_petition(store, created=datetime(2026, 11, 24, 17, 30, tzinfo=UTC))
    make_petition(store, created=datetime(2026, 11, 1, 3, 0, tzinfo=UTC))

    assert codes(desk.inbox(InboxFilters(received_from=TODAY))) == [on_25th]
    assert codes(desk.inbox(InboxFilters(received_from=date(2026, 11, 24),
                                         received_to=date(2026, 11, 24)))) == [on_24th]
    assert desk.inbox(InboxFilters(received_to=date(2026, 11, 24))).total == 2


def test_search_finds_code_content_name_and_phone(store, desk) -> None:
    lamp = make_petition(store, content="Đèn đường hỏng ở tổ 5, buổi tối không thấy gì")
    noise = make_petition(store, content="Công trình xây dựng ồn ào sau 22 giờ mỗi đêm",
                          name="Trần Thị Bình", phone="0987654321")

    for words in ("đèn đường", "ĐÈN ĐƯỜNG", "den duong", "buổi tối"):
        assert codes(desk.inbox(InboxFilters(search=words))) == [lamp], words
    assert codes(desk.inbox(InboxFilters(search="thi binh"))) == [noise]
    assert codes(desk.inbox(InboxFilters(search="0987 654"))) == [noise]
    assert codes(desk.inbox(InboxFilters(search=lamp.lower()))) == [lamp]
    assert codes(desk.inbox(InboxFilters(search="000002"))) == [noise]
    assert desk.inbox(InboxFilters(search="không có chữ này")).total == 0
    assert desk.inbox(InboxFilters(search="%")).total == 0  # a wildcard is a character
    later = make_petition(store, content="Đèn tín hiệu giao thông ngã tư không hoạt động")
    assert codes(desk.inbox(InboxFilters(search="đèn"), page_size=5)) == [lamp, later]


def test_a_deleted_name_cannot_be_searched_for(store, desk) -> None:
    code = make_petition(store, user="77", name="Lê Thị Hoa", phone="0911222333")
    assert codes(desk.inbox(InboxFilters(search="Lê Thị Hoa"))) == [code]

    store.delete_user_data("telegram", "77")

    assert desk.inbox(InboxFilters(search="Lê Thị Hoa")).total == 0
    assert desk.inbox(InboxFilters(search="0911222333")).total == 0


def test_pages_count_everything_and_urgent_comes_first(store, desk) -> None:
    due_dates = [date(2026, 12, 4), date(2026, 11, 20), date(2026, 12, 1), date(2026, 11, 26),
                 date(2026, 12, 10), date(2026, 11, 23)]
    made = [make_petition(store, due=due, created=NOW - timedelta(days=20 - n))
            for n, due in enumerate(due_dates)]
    answered = make_petition(store, due=date(2026, 11, 2), status="answered")

    first = desk.inbox(page=1, page_size=3)
    last = desk.inbox(page=3, page_size=3)

    assert first.total == 7 and first.pages == 3 and first.has_next
    assert not first.has_previous and last.has_previous and not last.has_next
    assert codes(first) == [made[1], made[5], made[3]]  # overdue ones, then the next due
    assert codes(last) == [answered]  # no longer open: after every open one
    assert codes(desk.inbox(InboxFilters(order="newest"), page_size=2)) == [answered, made[5]]
    assert desk.inbox(page=9, page_size=3).rows == []


def test_field_comes_from_the_catalog_and_can_be_filtered_on(store, desk) -> None:
    id_card = make_petition(store, procedure_code=ID_CARD)
    make_petition(store)

    page = desk.inbox(InboxFilters(field=ID_CARD_FIELD))

    assert codes(page) == [id_card] and page.rows[0].field == ID_CARD_FIELD
    assert petition_row(store, id_card)["field"] == ID_CARD_FIELD  # filled in the table
    later = make_petition(store, procedure_code=ID_CARD)
    assert set(codes(desk.inbox(InboxFilters(field=ID_CARD_FIELD)))) == {id_card, later}
    assert ID_CARD_FIELD in desk.fields()


# --- a petition's page -----------------------------------------------------------------


def test_the_petition_page_has_attachments_conversation_and_due_state(store, desk) -> None:
    created = NOW - timedelta(days=2)
    store.log_message("telegram", "1001", "in", "tôi muốn phản ánh", now=created
                      - timedelta(minutes=5))
    store.log_message("telegram", "1001", "out", "Bạn đồng ý ...", now=created
                      - timedelta(minutes=4))
    store.log_message("telegram", "1001", "in", "cảm ơn", now=created + timedelta(minutes=1))
    store.log_message("telegram", "2002", "in", "người khác", now=created)
    code = make_petition(store, created=created, attachments=[JPEG, PDF],
                         procedure_code=ID_CARD, due=date(2026, 11, 26))

    view = desk.petition(code.lower())

    assert view.petition.code == code and view.procedure_name.startswith("Cấp thẻ căn cước")
    assert [(a.name, a.mime, a.size) for a in view.petition.files] == [
        ("den_hong.jpg", "image/jpeg", 250_000), ("don.pdf", "application/pdf", 1_300_000)]
    assert [line.text for line in view.conversation] == [
        "tôi muốn phản ánh", "Bạn đồng ý ...", "cảm ơn"]
    assert view.due.nearly_due and view.due.working_days_left == 1
    assert view.status_changes == ("in_progress", "waiting", "closed")
    assert view.can_answer and view.history == [] and view.deliveries == []
    with pytest.raises(PetitionNotFound):
        desk.petition("PA-2026-999999")


# --- actions ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_status_change_is_one_event_and_tells_the_citizen(store, desk, senders,
                                                                  t) -> None:
    code = make_petition(store)

    result = await desk.change_status(code, "in_progress", by="lan")

    assert result.status == "in_progress" and result.delivery.status == "delivered"
    row = petition_row(store, code)
    assert row["status"] == "in_progress" and row["updated_at"] == NOW.isoformat()
    [change, delivery] = events(store, code)
    assert (change["kind"], change["staff"], change["from_status"], change["to_status"]) == \
        ("status", "lan", "new", "in_progress")
    assert delivery["kind"] == "delivery" and json.loads(delivery["details"])["status"] == \
        "delivered"
    assert senders["telegram"].texts == [t("petition.notice.status", code=code,
                                           status=t("petition.status.in_progress"))]


@pytest.mark.asyncio
async def test_transitions_that_are_not_allowed_are_refused_and_change_nothing(store,
                                                                               desk) -> None:
    code = make_petition(store, status="closed")
    fresh = make_petition(store)

    with pytest.raises(DeskError):
        await desk.change_status(fresh, "new", by="lan")  # already there
    for wanted in ("waiting", "answered", "closed", "nonsense"):
        with pytest.raises(DeskError):
            await desk.change_status(code, wanted, by="lan", message_to_citizen="Cần thêm")
    with pytest.raises(DeskError):
        await desk.transfer(code, "Sở Xây dựng", by="lan")
    with pytest.raises(DeskError):
        await desk.answer(code, "Trả lời muộn", by="lan")
    assert petition_row(store, code)["status"] == "closed" and events(store, code) == []
    assert petition_row(store, fresh)["status"] == "new"


@pytest.mark.asyncio
async def test_waiting_needs_a_message_and_sends_it(store, desk, senders, t) -> None:
    code = make_petition(store)
    with pytest.raises(DeskError, match="bổ sung"):
        await desk.change_status(code, "waiting", by="lan", message_to_citizen="   ")

    await desk.change_status(code, "waiting", by="lan",
                             message_to_citizen="Bạn cho biết số nhà gần cột đèn.")

    assert senders["telegram"].texts == [t("petition.notice.waiting", code=code,
                                           message="Bạn cho biết số nhà gần cột đèn.")]
    assert events(store, code)[0]["text"] == "Bạn cho biết số nhà gần cột đèn."


@pytest.mark.asyncio
async def test_closing_asks_for_a_rating_and_reopening_clears_it(store, desk, senders,
                                                                 t) -> None:
    code = make_petition(store, status="in_progress")

    await desk.change_status(code, "closed", by="lan")

    [(user, [reply])] = senders["telegram"].sent
    assert user == "1001" and reply.text == t("petition.notice.closed", code=code)
    assert [b.payload for b in reply.buttons] == [f"rate:petition:{code}:{s}"
                                                  for s in (5, 4, 3, 2, 1)]
    assert reply.buttons[0].label == f"5 – {t('rating.score.5')}"
    assert petition_row(store, code)["closed_at"] == NOW.isoformat()

    await desk.change_status(code, "in_progress", by="lan")
    assert petition_row(store, code)["closed_at"] is None


@pytest.mark.asyncio
async def test_an_answer_is_stored_sent_and_its_delivery_recorded(store, desk, senders,
                                                                   t) -> None:
    code = make_petition(store)

    result = await desk.answer(code, "Đã thay bóng đèn ngày 24/11.", by="lan")

    row = petition_row(store, code)
    assert result.status == row["status"] == "answered" and row["closed_at"] is None
    assert row["answer"] == "Đã thay bóng đèn ngày 24/11."
    assert row["answered_at"] == NOW.isoformat()
    assert json.loads(row["answer_delivery"])["status"] == "delivered"
    assert senders["telegram"].texts == [t("petition.notice.answer", code=code,
                                           answer="Đã thay bóng đèn ngày 24/11.")]
    assert [e["kind"] for e in events(store, code)] == ["answer", "delivery"]
    view = desk.petition(code)
    assert view.deliveries[0].status == "delivered" and not view.due.open


@pytest.mark.asyncio
async def test_answer_and_close_sends_the_answer_and_the_rating_buttons(store, desk,
                                                                        senders) -> None:
    code = make_petition(store, channel="zalo", user="z7")

    result = await desk.answer(code, "Đã xử lý xong.", by="lan", close=True)

    assert result.status == "closed" and petition_row(store, code)["closed_at"]
    [(_, replies)] = senders["zalo"].sent
    assert "Đã xử lý xong." in replies[0].text
    assert replies[1].buttons[-1].payload == f"rate:petition:{code}:1"


@pytest.mark.asyncio
async def test_an_answer_zalo_will_not_carry_is_kept_with_the_reason(store, desk,
                                                                     senders) -> None:
    code = make_petition(store, channel="zalo", user="z9")
    store.mark_unreachable("zalo", "z9")  # the messaging window has passed

    result = await desk.answer(code, "Đã thay bóng đèn.", by="lan")

    assert result.delivery.status == "failed" and "Zalo" in result.delivery.error
    assert "7 ngày" in result.delivery.error and senders["zalo"].sent == []
    row = petition_row(store, code)
    assert row["answer"] == "Đã thay bóng đèn." and row["status"] == "answered"
    assert json.loads(row["answer_delivery"])["error"] == result.delivery.error
    view = desk.petition(code)
    assert view.deliveries[0].status == "failed"
    assert view.last_notice.details["error"] == result.delivery.error


@pytest.mark.asyncio
async def test_a_refused_delivery_says_why(store, knowledge) -> None:
    telegram = _Refusing()
    desk = PetitionDesk(store, knowledge, CitizenMessenger(store, {"telegram": telegram}),
                        Calendar(), clock=lambda: NOW)
    code = make_petition(store)
    store.record_failed_delivery("telegram", "1001", "…", 400, "Bad Request: chat not found")

    result = await desk.answer(code, "Trả lời.", by="lan")

    assert result.delivery.status == "failed" and "chat not found" in result.delivery.error


@pytest.mark.asyncio
async def test_transfer_names_the_agency_to_the_citizen(store, desk, senders, t) -> None:
    code = make_petition(store)

    await desk.transfer(code, "Sở Xây dựng tỉnh", by="lan")

    row = petition_row(store, code)
    assert row["status"] == "transferred" and row["assigned_agency"] == "Sở Xây dựng tỉnh"
    assert senders["telegram"].texts == [t("petition.notice.transferred", code=code,
                                           agency="Sở Xây dựng tỉnh")]
    assert desk.inbox(InboxFilters(agency="Xây dựng")).rows[0].code == code


@pytest.mark.asyncio
async def test_a_duplicate_points_to_its_original(store, desk, senders, t) -> None:
    original = make_petition(store)
    again = make_petition(store, user="1002")
    third = make_petition(store, user="1003")

    await desk.mark_duplicate(again, original.lower(), by="lan")

    assert petition_row(store, again)["duplicate_of"] == petition_row(store, original)["id"]
    assert desk.petition(again).original.code == original
    assert [link.code for link in desk.petition(original).duplicates] == [again]
    assert senders["telegram"].texts == [t("petition.notice.duplicate", code=again,
                                           original=original)]
    with pytest.raises(DeskError, match=original):
        await desk.mark_duplicate(third, again, by="lan")  # the original is the one to name
    with pytest.raises(DeskError):
        await desk.mark_duplicate(third, third, by="lan")
    with pytest.raises(PetitionNotFound):
        await desk.mark_duplicate(third, "PA-2026-999999", by="lan")
    await desk.change_status(again, "in_progress", by="lan")  # not a duplicate after all
    assert petition_row(store, again)["duplicate_of"] is None


@pytest.mark.asyncio
async def test_an_anonymised_petition_can_be_worked_but_not_sent(store, desk,
                                                                 senders) -> None:
    code = make_petition(store)
    store.delete_user_data("telegram", "1001")

    await desk.change_status(code, "in_progress", by="lan")
    result = await desk.answer(code, "Đã sửa.", by="lan", close=True)

    assert result.status == "closed" and result.delivery.status == "failed"
    assert "xóa dữ liệu" in result.delivery.error and senders["telegram"].sent == []
    view = desk.petition(code)
    assert view.petition.anonymised and view.petition.name is None
    assert view.conversation == [] and view.deliveries == []
    assert view.last_notice.details["status"] == "failed"


def test_assigning_names_an_active_officer_and_can_be_undone(store, site, desk) -> None:
    code = make_petition(store)

    desk.assign(code, "LAN", "UBND phường An Bình", by="admin")
    assert (petition_row(store, code)["assigned_to"],
            petition_row(store, code)["assigned_agency"]) == ("lan", "UBND phường An Bình")
    with pytest.raises(DeskError):
        desk.assign(code, "minh", None, by="admin")  # a viewer cannot work petitions
    with pytest.raises(DeskError):
        desk.assign(code, "nobody", None, by="admin")
    with pytest.raises(DeskError):
        desk.assign(code, "lan", "UBND phường An Bình", by="admin")  # nothing changes

    desk.assign(code, None, None, by="admin")
    assert petition_row(store, code)["assigned_to"] is None
    details = json.loads(events(store, code)[-1]["details"])
    assert details["before"] == {"assigned_to": "lan", "assigned_agency": "UBND phường An Bình"}


def test_a_note_stays_inside(store, desk, senders) -> None:
    code = make_petition(store)

    desk.add_note(code, "Đã gọi điện cho người dân, hẹn thứ Sáu.", by="lan")

    [note] = desk.petition(code).notes
    assert note.text == "Đã gọi điện cho người dân, hẹn thứ Sáu." and note.staff == "lan"
    assert senders["telegram"].sent == [] and store.rows("SELECT * FROM outbox") == []
    with pytest.raises(DeskError):
        desk.add_note(code, "  ", by="lan")


class _Refusing:
    async def __call__(self, user, replies) -> bool:
        return False
