"""The knowledge review: what the bot could not answer, grouped, and the officers' fixes.

    GET  /staff/review?days=30&show=open       the groups, most asked first
    POST /staff/review/link                    a group means a procedure (alias override)
    POST /staff/review/answer                  a group gets the agency's answer (FAQ override)
    GET  /staff/review/overrides               every override, who made it and when
    POST /staff/review/overrides/{id}/remove

The fixes go to the overrides file (BOT_OVERRIDES, knowledge/handkept/overrides.py) with who
and when; the bot takes them up from its next message, in every worker (bot/dialogue.py). An officer
names the procedure by its code or in words: words are read by the bot's own understanding,
and the officer picks among what it finds.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.review import QuestionGroup, answer_group, find_group, link_group, review_groups
from bot.staff.site import StaffSite
from bot.vocabulary import VIETNAM
from knowledge.handkept.overrides import (
    InvalidOverride,
    OverridesError,
    load_overrides,
    remove_override,
)

PERIODS = {"7": "7 ngày", "30": "30 ngày", "90": "90 ngày", "all": "Toàn bộ"}
CANDIDATES = 6


def review_routes(site: StaffSite, guard, dialogue) -> list[Route]:
    path = site.settings.overrides_path

    def overrides():
        try:
            return load_overrides(path), None
        except OverridesError as error:
            return None, str(error)

    def groups_for(request: Request) -> list[QuestionGroup]:
        days = request.query_params.get("days") or "30"
        since = None
        if days in PERIODS and days != "all":
            since = (site.clock().astimezone(VIETNAM) - timedelta(days=int(days))).date()
        current, _ = overrides()
        return review_groups(site.store.db, dialogue.knowledge, since=since,
                             overrides=current,
                             include_handled=request.query_params.get("show") == "all")

    async def page(request: Request) -> Response:
        groups = await run_in_threadpool(_locked, site, groups_for, request)
        _, problem = overrides()
        return site.render(request, "review.html", groups=groups[:200], total=len(groups),
                           days=request.query_params.get("days") or "30",
                           show=request.query_params.get("show") or "open", periods=PERIODS,
                           problem=problem, notice=request.query_params.get("notice"),
                           names=_names(dialogue.knowledge))

    async def link(request: Request) -> Response:
        form = await request.form()
        group = await _group_of(request, form)
        if group is None:
            return _back(form, "Nhóm câu hỏi này không còn nữa (đã được xử lý?).")
        query = str(form.get("procedure", "")).strip()
        knowledge = dialogue.knowledge
        if query not in knowledge.procedures:
            return site.render(request, "review_choose.html", group=group, query=query,
                               candidates=_candidates(dialogue, query), form=form)
        try:
            entry = link_group(path, group, query, request.state.staff.username, knowledge)
        except InvalidOverride as error:
            return _back(form, str(error))
        site.record(request, "review.link", target=entry.id,
                    details={"procedure": query, "question": group.representative})
        return _back(form, f"Đã gắn {group.count} câu hỏi với thủ tục {query}; trợ lý dùng "
                           "từ tin nhắn tiếp theo.")

    async def answer(request: Request) -> Response:
        form = await request.form()
        group = await _group_of(request, form)
        if group is None:
            return _back(form, "Nhóm câu hỏi này không còn nữa (đã được xử lý?).")
        try:
            entry = answer_group(path, group, str(form.get("answer", "")),
                                 request.state.staff.username,
                                 question=str(form.get("question", "")) or None,
                                 link=str(form.get("link", "")).strip() or None)
        except InvalidOverride as error:
            return _back(form, str(error))
        site.record(request, "review.answer", target=entry.id,
                    details={"question": entry.question})
        return _back(form, "Đã lưu câu trả lời; trợ lý dùng từ tin nhắn tiếp theo.")

    async def _group_of(request: Request, form) -> QuestionGroup | None:
        groups = await run_in_threadpool(_locked, site, groups_for, request)
        return find_group(groups, str(form.get("group", "")))

    async def overrides_page(request: Request) -> Response:
        current, problem = overrides()
        return site.render(request, "review_overrides.html", overrides=current,
                           problem=problem, names=_names(dialogue.knowledge),
                           notice=request.query_params.get("notice"))

    async def remove(request: Request) -> Response:
        override_id = request.path_params["override_id"]
        try:
            removed = remove_override(path, override_id)
        except OverridesError as error:
            return site.render(request, "review_overrides.html", status_code=409,
                               overrides=None, problem=str(error), names={})
        if removed:
            site.record(request, "review.remove", target=override_id)
        notice = "Đã xóa." if removed else "Không tìm thấy mục này."
        return RedirectResponse("/staff/review/overrides?" + urlencode({"notice": notice}),
                                status_code=303)

    return [
        Route("/staff/review", guard(page, role="officer")),
        Route("/staff/review/link", guard(link, role="officer"), methods=["POST"]),
        Route("/staff/review/answer", guard(answer, role="officer"), methods=["POST"]),
        Route("/staff/review/overrides", guard(overrides_page, role="officer")),
        Route("/staff/review/overrides/{override_id}/remove", guard(remove, role="officer"),
              methods=["POST"]),
    ]


def _locked(site: StaffSite, read, request: Request):
    """The review reads the bot's shared connection from a worker thread: under its lock."""
    with site.store.reading():
        return read(request)


def _candidates(dialogue, query: str) -> list[tuple[str, str]]:
    """The procedures the bot itself would offer for `query`, best first."""
    if not query:
        return []
    understanding = dialogue.understander.understand(query)
    found = [understanding.procedure] if understanding.procedure else []
    found += [*understanding.alternatives, *understanding.ranked]
    seen, candidates = set(), []
    for procedure in found:
        if procedure.code not in seen:
            seen.add(procedure.code)
            candidates.append((procedure.code, procedure.name))
    return candidates[:CANDIDATES]


def _names(knowledge) -> dict[str, str]:
    return {code: record.get("name", code) for code, record in knowledge.procedures.items()}


def _back(form, notice: str) -> Response:
    query = {"days": form.get("days") or "30", "show": form.get("show") or "open",
             "notice": notice}
    return RedirectResponse("/staff/review?" + urlencode(query), status_code=303)
