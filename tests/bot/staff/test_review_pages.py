"""The knowledge review pages: groups of unanswered questions, and an officer's fix that the
bot uses from the next message on."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.dialogue import Dialogue
from bot.messages import Incoming
from bot.staff.app import staff_mount
from bot.staff.review_pages import review_routes
from tests.bot.staff.conftest import csrf, log_in

KARAOKE = "quán hát cho khách"
HOUSEHOLD_BUSINESS = "1.001612"   # Đăng ký thành lập hộ kinh doanh
CANTEEN = "căng tin ở đâu"


@pytest.fixture
def bot(knowledge, store, site, tmp_path) -> Dialogue:
    settings = replace(site.settings, overrides_path=tmp_path / "overrides.yaml",
                       flood_messages=1_000_000)
    site.settings = settings
    return Dialogue(knowledge, store, settings, overrides_path=settings.overrides_path)


@pytest.fixture
def review(site, bot) -> TestClient:
    return TestClient(Starlette(routes=[staff_mount(site, partial(review_routes,
                                                                 dialogue=bot))]))


def ask(bot: Dialogue, text: str, user: str = "page-1"):
    return bot.turn(Incoming("web", user, text=text))


def test_unanswered_questions_are_grouped_with_counts(review, bot) -> None:
    for user, text in (("a", CANTEEN), ("b", "cang tin o dau"), ("c", "Căng tin ở đâu ạ?")):
        ask(bot, text, user)
    log_in(review, "lan")

    page = review.get("/staff/review")

    assert page.status_code == 200
    assert "3 lượt" in page.text and "căng tin ở đâu" in page.text.lower()


def test_a_viewer_cannot_review(review) -> None:
    log_in(review, "minh")
    assert review.get("/staff/review").status_code == 403


def test_linking_a_group_by_words_lets_the_officer_choose_then_the_bot_answers_it(
        review, bot, site) -> None:
    assert ask(bot, KARAOKE).understanding.procedure is None
    log_in(review, "lan")
    page = review.get("/staff/review").text
    key = page.split('name="group" value="')[1].split('"')[0]

    choose = review.post("/staff/review/link", data={
        "csrf_token": csrf(review, "/staff/review"), "group": key,
        "procedure": "thành lập hộ kinh doanh"})
    assert choose.status_code == 200 and HOUSEHOLD_BUSINESS in choose.text

    done = review.post("/staff/review/link", data={
        "csrf_token": csrf(review, "/staff/review"), "group": key,
        "procedure": HOUSEHOLD_BUSINESS}, follow_redirects=False)

    assert done.status_code == 303 and "notice=" in done.headers["location"]
    assert ask(bot, KARAOKE, "page-2").understanding.procedure.code == HOUSEHOLD_BUSINESS
    assert [e.action for e in site.audit.recent()][0] == "review.link"
    assert "Chưa xử lý" in review.get("/staff/review").text
    assert KARAOKE not in review.get("/staff/review").text   # handled, so not listed


def test_an_officers_answer_is_used_at_once_and_can_be_removed(review, bot) -> None:
    ask(bot, CANTEEN)
    log_in(review, "lan")
    key = review.get("/staff/review").text.split('name="group" value="')[1].split('"')[0]

    review.post("/staff/review/answer", data={
        "csrf_token": csrf(review, "/staff/review"), "group": key,
        "question": "Căng tin của Trung tâm ở đâu?",
        "answer": "Căng tin ở tầng 1 của Trung tâm, mở từ 7 giờ đến 17 giờ."})

    [reply] = ask(bot, "cang tin o dau vay", "page-2").replies
    assert "tầng 1" in reply.text and "Nguồn: trả lời của cơ quan" in reply.text
    listing = review.get("/staff/review/overrides").text
    assert "tầng 1" in listing and "lan" in listing
    override_id = listing.split('/staff/review/overrides/')[1].split('/remove')[0]
    review.post(f"/staff/review/overrides/{override_id}/remove",
                data={"csrf_token": csrf(review, "/staff/review")})
    assert "tầng 1" not in ask(bot, CANTEEN, "page-3").replies[0].text


def test_an_answer_with_a_script_link_is_refused_and_markup_stays_text(review, bot) -> None:
    ask(bot, "<script>alert(1)</script> căng tin")
    log_in(review, "lan")
    page = review.get("/staff/review")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    key = page.text.split('name="group" value="')[1].split('"')[0]

    refused = review.post("/staff/review/answer", data={
        "csrf_token": csrf(review, "/staff/review"), "group": key,
        "answer": "Xem tại đây", "link": "javascript:alert(1)"}, follow_redirects=False)

    assert refused.status_code == 303 and "https" in refused.headers["location"]
    assert "javascript" not in review.get("/staff/review/overrides").text
