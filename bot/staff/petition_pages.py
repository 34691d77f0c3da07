"""The petition desk's pages: the inbox, a petition's page and the officer's actions on it.

    GET  /staff/petitions                      inbox (viewer): filters in the query string
    GET  /staff/petitions/{code}               the petition (viewer; forms for officers)
    POST /staff/petitions/{code}/assign        assigned_to, agency
    POST /staff/petitions/{code}/note          text
    POST /staff/petitions/{code}/status        status, message
    POST /staff/petitions/{code}/answer        text, close ("1" to close as well)
    POST /staff/petitions/{code}/transfer      agency
    POST /staff/petitions/{code}/duplicate     original

Mounted by bot/staff/app.py as a route maker: `partial(petition_routes, desk=desk)`.
Every action goes to the audit log and then back to the petition's page (303) with `done=`
(and `sent=`, what the citizen's channel did with the notice) in the query string; only those
fixed codes travel in the URL, so a crafted link cannot put words on the page. A refused action
shows the page again with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.staff.petitions import (
    CHANNELS,
    ORDERS,
    STATUSES,
    UNASSIGNED,
    ActionResult,
    DeskError,
    InboxFilters,
    PetitionDesk,
    PetitionNotFound,
    statuses_from,
)
from bot.staff.site import StaffSite
from bot.vocabulary import CHANNELS as VOCABULARY_CHANNELS
from bot.vocabulary import PETITION_STATUSES

PAGE_SIZE = 50
STATUS_LABELS = PETITION_STATUSES.labels()
EVENT_LABELS = {
    "created": "Tiếp nhận",
    "assigned": "Giao xử lý",
    "note": "Ghi chú nội bộ",
    "status": "Chuyển trạng thái",
    "answer": "Trả lời",
    "transfer": "Chuyển cơ quan khác",
    "duplicate": "Đánh dấu trùng",
    "delivery": "Gửi tin cho người dân",
}
DELIVERY_LABELS = {"delivered": "Đã gửi tới người dân", "queued": "Chờ người dân mở trang web",
                   "pending": "Chờ người dân mở trang web", "failed": "Không gửi được"}
DUE_CHOICES = {"overdue": "Quá hạn", "soon": "Sắp đến hạn (≤ 2 ngày làm việc)",
               "attention": "Quá hạn hoặc sắp đến hạn"}
ORDER_LABELS = {"urgency": "Gấp nhất trước", "newest": "Mới nhất trước"}
DONE = {
    "assigned": "Đã lưu việc giao xử lý.",
    "note": "Đã thêm ghi chú nội bộ (không gửi cho người dân).",
    "status": "Đã chuyển trạng thái phản ánh.",
    "answered": "Đã lưu câu trả lời.",
    "answered_closed": "Đã lưu câu trả lời và đóng phản ánh.",
    "transferred": "Đã chuyển phản ánh sang cơ quan khác.",
    "duplicate": "Đã đánh dấu phản ánh trùng.",
}
SENT = {
    "delivered": "Tin đã tới người dân.",
    "queued": "Người dân gửi qua trang web: tin sẽ hiện khi họ mở lại trang trò chuyện.",
    "failed": "Tin KHÔNG tới được người dân — xem lý do bên dưới và liên hệ họ bằng cách khác.",
}

Handler = Callable[[Request], Awaitable[Response]]


def petition_routes(site: StaffSite, guard: Callable[..., Handler], *,
                    desk: PetitionDesk, page_size: int = PAGE_SIZE) -> list[Route]:
    async def inbox(request: Request) -> Response:
        filters, values, errors = _filters(request)
        page = desk.inbox(filters, page=_page_number(request), page_size=page_size)
        return site.render(
            request, "petitions.html", page=page, values=values, errors=errors,
            fields=desk.fields(), staff_choices=desk.staff_choices(),
            page_link=lambda number: _page_link(request, number), **_labels())

    async def petition_page(request: Request) -> Response:
        return _petition(request)

    def _petition(request: Request, *, error: str | None = None,
                  status_code: int = 200) -> Response:
        code = request.path_params["code"]
        try:
            view = desk.petition(code)
        except PetitionNotFound:
            return site.refuse(request, 404, "not_found")
        done = request.query_params.get("done")
        sent = request.query_params.get("sent")
        return site.render(
            request, "petition.html", status_code=status_code, view=view, error=error,
            done=DONE.get(done or ""), sent=SENT.get(sent or ""), sent_status=sent,
            staff_choices=desk.staff_choices(), size_text=_size_text, **_labels())

    def action(name: str, work: Callable[[Request, dict[str, str]],
                                         Awaitable[tuple[ActionResult, str, dict[str, Any]]]]
               ) -> Handler:
        """A POST that does `work`, records it in the audit log and goes back to the page."""
        async def endpoint(request: Request) -> Response:
            code = request.path_params["code"]
            form = {key: value for key, value in (await request.form()).items()
                    if isinstance(value, str)}
            try:
                result, done, details = await work(request, form)
            except PetitionNotFound:
                return site.refuse(request, 404, "not_found")
            except DeskError as refused:
                return _petition(request, error=str(refused), status_code=400)
            if result.delivery is not None:
                details = {**details, "delivery": result.delivery.status}
            site.record(request, f"petition.{name}", target=result.code, details=details)
            query = {"done": done}
            if result.delivery is not None:
                query["sent"] = result.delivery.status
            return RedirectResponse(f"/staff/petitions/{quote(code)}?{urlencode(query)}",
                                    status_code=303)
        return guard(endpoint, role="officer")

    def by(request: Request) -> str:
        return request.state.staff.username

    async def assign(request: Request, form: dict[str, str]):
        staff_username = form.get("assigned_to") or None
        agency = form.get("agency", "").strip() or None
        result = desk.assign(request.path_params["code"], staff_username, agency, by(request))
        return result, "assigned", {"assigned_to": staff_username, "agency": agency}

    async def note(request: Request, form: dict[str, str]):
        result = desk.add_note(request.path_params["code"], form.get("text", ""), by(request))
        return result, "note", {}

    async def change_status(request: Request, form: dict[str, str]):
        status = form.get("status", "")
        result = await desk.change_status(request.path_params["code"], status, by(request),
                                          form.get("message") or None)
        return result, "status", {"status": status}

    async def answer(request: Request, form: dict[str, str]):
        close = form.get("close") == "1"
        result = await desk.answer(request.path_params["code"], form.get("text", ""),
                                   by(request), close=close)
        return result, "answered_closed" if close else "answered", {"close": close}

    async def transfer(request: Request, form: dict[str, str]):
        agency = form.get("agency", "")
        result = await desk.transfer(request.path_params["code"], agency, by(request))
        return result, "transferred", {"agency": agency.strip()}

    async def duplicate(request: Request, form: dict[str, str]):
        original = form.get("original", "")
        result = await desk.mark_duplicate(request.path_params["code"], original, by(request))
        return result, "duplicate", {"original": original.strip().upper()}

    base = "/staff/petitions/{code}"
    return [
        Route("/staff/petitions", guard(inbox, role="viewer")),
        Route(base, guard(petition_page, role="viewer")),
        Route(f"{base}/assign", action("assign", assign), methods=["POST"]),
        Route(f"{base}/note", action("note", note), methods=["POST"]),
        Route(f"{base}/status", action("status", change_status), methods=["POST"]),
        Route(f"{base}/answer", action("answer", answer), methods=["POST"]),
        Route(f"{base}/transfer", action("transfer", transfer), methods=["POST"]),
        Route(f"{base}/duplicate", action("duplicate", duplicate), methods=["POST"]),
    ]


def _filters(request: Request) -> tuple[InboxFilters, dict[str, Any], list[str]]:
    """The inbox filters from the query string, the values to show back in the form, and
    what could not be read."""
    query = request.query_params
    errors: list[str] = []
    text = {name: query.get(name, "").strip() for name in
            ("agency", "field", "channel", "assigned", "due", "from", "to", "q", "order")}
    received = {}
    for name in ("from", "to"):
        received[name] = None
        if text[name]:
            try:
                received[name] = date.fromisoformat(text[name])
            except ValueError:
                errors.append(f"Ngày \"{text[name]}\" không đúng dạng năm-tháng-ngày; bỏ qua.")
    statuses = statuses_from(query.getlist("status"))
    due = text["due"] if text["due"] in DUE_CHOICES else ""
    order = text["order"] if text["order"] in ORDERS else "urgency"
    channel = text["channel"] if text["channel"] in CHANNELS else ""
    filters = InboxFilters(
        statuses=statuses, agency=text["agency"] or None, field=text["field"] or None,
        channel=channel or None, assigned_to=text["assigned"] or None,
        overdue=due in ("overdue", "attention"), nearly_due=due in ("soon", "attention"),
        received_from=received["from"], received_to=received["to"], search=text["q"] or None,
        order=order)
    values = {**text, "statuses": statuses, "due": due, "order": order, "channel": channel}
    return filters, values, errors


def _page_link(request: Request, number: int) -> str:
    """The inbox's URL for page `number`, with the same filters."""
    items = [(key, value) for key, value in request.query_params.multi_items()
             if key != "page" and value]
    return "/staff/petitions?" + urlencode([*items, ("page", str(number))])


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _size_text(size: int | None) -> str:
    if size is None:
        return "không rõ dung lượng"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "channel_labels": VOCABULARY_CHANNELS.labels(),
            "event_labels": EVENT_LABELS, "delivery_labels": DELIVERY_LABELS,
            "due_choices": DUE_CHOICES, "order_labels": ORDER_LABELS, "statuses": STATUSES,
            "unassigned": UNASSIGNED}
