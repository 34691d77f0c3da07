"""The communication officers' pages: reform news to subscribers, from draft to delivered.

    GET  /staff/announcements                      the list, with each one's progress
    GET  /staff/announcements/new                  POST the same: a new draft
    GET  /staff/announcements/{id}                 preview per channel, progress, actions
    POST /staff/announcements/{id}/edit            a draft's text, topics, channels, link, image
    POST /staff/announcements/{id}/{submit|approve|return|cancel}

Officers compose and send; when the agency requires it (BROADCAST_REQUIRES_APPROVAL) a
second officer approves. Viewers see the list and the progress. The sending itself runs in
the server (bot/broadcast/delivery.py).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.broadcast.announcements import (
    CHANNELS,
    STATUS_LABELS,
    AnnouncementError,
    Announcements,
)
from bot.broadcast.render import preview
from bot.staff.site import StaffSite
from bot.vocabulary import CHANNELS as VOCABULARY_CHANNELS
from bot.vocabulary import VIETNAM

PAGE_SIZE = 50
DELIVERY_LABELS = {"pending": "Chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi",
                   "failed": "Lỗi", "blocked": "Đã chặn / bỏ quan tâm",
                   "held": "Tạm giữ theo quy định"}


def announcement_routes(site: StaffSite, guard, board: Announcements, news_topics,
                        text) -> list[Route]:
    """`news_topics`: [(id, label)]; `text`: the locale texts, for the previews."""
    topic_labels = dict(news_topics)

    def render(request: Request, template: str, status_code: int = 200, **values):
        return site.render(request, template, status_code=status_code,
                           status_labels=STATUS_LABELS, topic_labels=topic_labels,
                           news_topics=news_topics, channels=CHANNELS,
                           channel_labels=VOCABULARY_CHANNELS.labels(),
                           delivery_labels=DELIVERY_LABELS,
                           requires_approval=board.requires_approval, **values)

    async def listing(request: Request) -> Response:
        announcements = board.recent(limit=PAGE_SIZE)
        return render(request, "announcements.html", announcements=[
            (announcement, board.progress(announcement.id)) for announcement in announcements])

    async def new(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "announcement_form.html", values={}, audience=None)
        form = await request.form()
        try:
            announcement = board.create(created_by=request.state.staff.username,
                                        **_fields(form))
        except AnnouncementError as error:
            return render(request, "announcement_form.html", status_code=400,
                          error=str(error), values=form, audience=None)
        site.record(request, "announcement.create", target=str(announcement.id),
                    details={"title": announcement.title})
        return _to(announcement.id, "Đã lưu bản nháp.")

    async def detail(request: Request) -> Response:
        announcement = _get(request)
        if announcement is None:
            return site.refuse(request, 404, "not_found")
        return render(request, "announcement.html", announcement=announcement,
                      progress=board.progress(announcement.id),
                      previews=preview(announcement, text),
                      audience=board.audience_size(announcement.topics, announcement.channels),
                      notice=request.query_params.get("notice"),
                      error=request.query_params.get("error"))

    async def edit(request: Request) -> Response:
        announcement = _get(request)
        if announcement is None:
            return site.refuse(request, 404, "not_found")
        form = await request.form()
        try:
            board.edit(announcement.id, **_fields(form))
        except AnnouncementError as error:
            return _to(announcement.id, error=str(error))
        site.record(request, "announcement.edit", target=str(announcement.id))
        return _to(announcement.id, "Đã lưu thay đổi.")

    async def act(request: Request) -> Response:
        announcement = _get(request)
        if announcement is None:
            return site.refuse(request, 404, "not_found")
        action = request.path_params["action"]
        who = request.state.staff.username
        form = await request.form()
        try:
            if action == "submit":
                board.submit(announcement.id, by=who, send_at=_send_at(form))
                notice = ("Đã gửi đề nghị phê duyệt." if board.requires_approval
                          else "Đã lên lịch gửi.")
            elif action == "approve":
                board.approve(announcement.id, by=who)
                notice = "Đã phê duyệt; tin sẽ được gửi đúng giờ."
            elif action == "return":
                board.return_to_draft(announcement.id)
                notice = "Đã trả về bản nháp."
            elif action == "cancel":
                board.cancel(announcement.id)
                notice = "Đã hủy tin."
            else:
                return site.refuse(request, 404, "not_found")
        except (AnnouncementError, ValueError) as error:
            return _to(announcement.id, error=str(error))
        site.record(request, f"announcement.{action}", target=str(announcement.id))
        return _to(announcement.id, notice)

    def _get(request: Request):
        try:
            return board.get(int(request.path_params["announcement_id"]))
        except (AnnouncementError, ValueError):
            return None

    return [
        Route("/staff/announcements", guard(listing, role="viewer")),
        Route("/staff/announcements/new", guard(new, role="officer"), methods=["GET", "POST"]),
        Route("/staff/announcements/{announcement_id:int}", guard(detail, role="viewer")),
        Route("/staff/announcements/{announcement_id:int}/edit", guard(edit, role="officer"),
              methods=["POST"]),
        Route("/staff/announcements/{announcement_id:int}/{action}",
              guard(act, role="officer"), methods=["POST"]),
    ]


def _fields(form) -> dict:
    return {"title": str(form.get("title", "")), "body": str(form.get("body", "")),
            "topics": [str(t) for t in form.getlist("topics")],
            "channels": [str(c) for c in form.getlist("channels")],
            "link": str(form.get("link", "")).strip() or None,
            "image_url": str(form.get("image_url", "")).strip() or None}


def _send_at(form) -> datetime | None:
    """The time typed in the form (a datetime-local, Vietnam time), or None for "now"."""
    raw = str(form.get("send_at", "")).strip()
    if not raw or form.get("when") == "now":
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=VIETNAM)
    except ValueError:
        raise ValueError("Thời điểm gửi không hợp lệ.") from None


def _to(announcement_id: int, notice: str | None = None, error: str | None = None) -> Response:
    query = {key: value for key, value in (("notice", notice), ("error", error)) if value}
    return RedirectResponse(f"/staff/announcements/{announcement_id}?{urlencode(query)}",
                            status_code=303)
