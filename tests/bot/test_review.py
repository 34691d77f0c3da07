"""The knowledge review (bot/review.py): unanswered questions and unhelpful answers grouped by
similar wording, with counts, and an officer's decision on a group saved as an override."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.review import (
    AskedQuestion,
    answer_group,
    find_group,
    group_questions,
    link_group,
    read_questions,
    review_groups,
)
from bot.storage import Store
from knowledge.base import Knowledge
from knowledge.handkept.overrides import load_overrides

MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)   # 10:00 in Vietnam
HOUSEHOLD_BUSINESS = "1.001612"   # Đăng ký thành lập hộ kinh doanh
BIRTH = "1.001193"
OFFICER = "Nguyễn Văn An"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "bot.db") as store:
        yield store


def ask(store: Store, question: str, reason: str = "no_match", *, channel: str = "web",
        user: str = "u1", day: int = 0) -> None:
    store.record_unanswered(channel, user, question, reason,
                            now=MONDAY + timedelta(days=day))


def unhelpful(store: Store, question: str, code: str, *, user: str = "u9", day: int = 0) -> None:
    """An answer the citizen marked unhelpful (which also lists it among the unanswered)."""
    answer_id = store.record_answer("telegram", user, question, "procedure", code, "overview",
                                    now=MONDAY + timedelta(days=day))
    assert store.mark_answer(answer_id, "telegram", user, False,
                             now=MONDAY + timedelta(days=day))


def by_representative(groups) -> dict:
    return {group.representative: group for group in groups}


def test_the_same_question_with_and_without_diacritics_is_one_group(
        store: Store, knowledge: Knowledge) -> None:
    for _ in range(3):
        ask(store, "quán hát cho khách", "out_of_scope", day=1)
    ask(store, "quan hat cho khach", "out_of_scope", channel="zalo", day=0)
    ask(store, "cho em hỏi quán hát cho khách ạ", "no_match", channel="telegram", day=4)
    ask(store, "cho em hoi quan hat cho khach o dau a", "no_match", day=2)
    ask(store, "Quán  hát cho khách", "out_of_scope", day=3)
    ask(store, "căng tin ở đâu", "out_of_scope", day=2)

    groups = review_groups(store.db, knowledge)
    assert [g.count for g in groups] == [7, 1]
    karaoke = groups[0]
    assert karaoke.representative == "quán hát cho khách"
    assert [(p.text, p.count) for p in karaoke.phrasings] == [
        ("quán hát cho khách", 3),
        ("Quán hát cho khách", 1),   # spaces collapsed, the case kept as typed
        ("cho em hỏi quán hát cho khách ạ", 1),   # with diacritics first, then the shortest
        ("quan hat cho khach", 1),
        ("cho em hoi quan hat cho khach o dau a", 1),
    ]
    assert karaoke.reasons == {"out_of_scope": 5, "no_match": 2}
    assert karaoke.channels == {"web": 5, "zalo": 1, "telegram": 1}
    assert karaoke.first_seen == "2026-03-02T03:00:00+00:00"
    assert karaoke.last_seen == "2026-03-06T03:00:00+00:00"
    assert karaoke.procedures == {} and not karaoke.handled
    assert groups[1].representative == "căng tin ở đâu"


def test_unrelated_questions_are_not_grouped(store: Store, knowledge: Knowledge) -> None:
    questions = ["quán hát cho khách", "căng tin ở đâu", "giá vé xe buýt", "khai sinh",
                 "khai sinh cho con nuôi", "đăng ký nuôi chó", "đăng ký nuôi con nuôi",
                 "làm thẻ thư viện", "làm thẻ căn cước", "phản ánh kiến nghị",
                 "kiểm tra kết quả phản ánh"]
    for question in questions:
        ask(store, question)
    groups = review_groups(store.db, knowledge)
    assert sorted(g.representative for g in groups) == sorted(questions)
    assert all(g.count == 1 for g in groups)


def test_typos_and_polite_words_do_not_split_a_group(knowledge: Knowledge) -> None:
    asked = [AskedQuestion(text, "no_match", "web", "2026-03-02T03:00:00+00:00") for text in
             ("làm thẻ thư viện ở đâu", "lam the thu vein", "ad ơi làm thẻ thư viện với",
              "làm thẻ thư viện mất bao lâu", "thẻ thư viện tỉnh làm ở đâu vậy")]
    groups = group_questions(asked, knowledge)
    assert len(groups) == 1, [g.phrasings for g in groups]
    assert groups[0].count == 5


def test_unhelpful_answers_say_which_procedure_the_bot_gave_and_count_once(
        store: Store, knowledge: Knowledge) -> None:
    unhelpful(store, "khai sinh cho con", BIRTH, user="a")
    unhelpful(store, "khai sinh cho con", BIRTH, user="b")
    unhelpful(store, "khai sinh cho con", "1.000689", user="c")
    ask(store, "khai sinh cho con", "no_match")
    # An "unhelpful" row without its answer (kept elsewhere) still counts.
    ask(store, "khai sinh cho con", "unhelpful", user="d")

    assert store.counts()["unanswered"] == 5
    [group] = review_groups(store.db, knowledge)
    assert group.count == 5
    assert group.reasons == {"unhelpful": 4, "no_match": 1}
    assert group.procedures == {BIRTH: 2, "1.000689": 1}


def test_a_period_takes_the_questions_of_its_vietnamese_days(store: Store,
                                                             knowledge: Knowledge) -> None:
    ask(store, "quán hát cho khách", day=0)      # Monday 2 March
    ask(store, "quán hát cho khách", day=1)
    ask(store, "căng tin ở đâu", day=7)          # Monday 9 March
    # 23:30 on Tuesday 3 March in Vietnam is still Tuesday there.
    store.record_unanswered("web", "u2", "giá vé xe buýt", "out_of_scope",
                            now=datetime(2026, 3, 3, 16, 30, tzinfo=UTC))
    store.record_unanswered("web", "u2", "giá vé xe buýt", "out_of_scope",
                            now=datetime(2026, 3, 3, 17, 30, tzinfo=UTC))   # Wednesday there

    week = review_groups(store.db, knowledge, since=date(2026, 3, 2), until=date(2026, 3, 3))
    assert {g.representative: g.count for g in week} == {"quán hát cho khách": 2,
                                                         "giá vé xe buýt": 1}
    later = read_questions(store.db, since=date(2026, 3, 4))
    assert sorted(q.text for q in later) == ["căng tin ở đâu", "giá vé xe buýt"]
    assert len(read_questions(store.db)) == 5


def test_linking_a_group_saves_its_wordings_and_marks_it_handled(
        store: Store, knowledge: Knowledge, tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    for question in ("quán hát cho khách", "quán hát cho khách", "quan hat cho khach",
                     "căng tin ở đâu", "căng tin ở đâu", "cang tin o dau", "giá vé xe buýt"):
        ask(store, question, "out_of_scope")
    groups = review_groups(store.db, knowledge)
    karaoke = by_representative(groups)["quán hát cho khách"]
    canteen = by_representative(groups)["căng tin ở đâu"]

    alias = link_group(path, karaoke, HOUSEHOLD_BUSINESS, OFFICER, knowledge)
    assert alias.phrases == ("quán hát cho khách", "quan hat cho khach")
    faq = answer_group(path, canteen, "Căng tin ở tầng 1 của Trung tâm.", "Lê Thị Bình",
                       question="Căng tin của Trung tâm ở đâu?")
    assert faq.questions == ("Căng tin của Trung tâm ở đâu?", "căng tin ở đâu", "cang tin o dau")
    assert faq.by == "Lê Thị Bình" and faq.at

    overrides = load_overrides(path)
    groups = review_groups(store.db, knowledge, overrides=overrides)
    assert {g.representative: g.handled_by for g in groups} == {
        "quán hát cho khách": alias.id, "căng tin ở đâu": faq.id, "giá vé xe buýt": None}
    # A new wording of a handled question is handled too.
    ask(store, "cho em hỏi quán hát cho khách ạ", "no_match")
    open_ones = review_groups(store.db, knowledge, overrides=overrides, include_handled=False)
    assert [g.representative for g in open_ones] == ["giá vé xe buýt"]


def test_a_group_is_found_again_by_the_key_of_any_of_its_wordings(
        store: Store, knowledge: Knowledge) -> None:
    ask(store, "quan hat cho khach")
    key = review_groups(store.db, knowledge)[0].key
    for _ in range(3):
        ask(store, "ad ơi quán hát cho khách")   # now the most asked wording leads the group
    groups = review_groups(store.db, knowledge)
    assert len(groups) == 1 and groups[0].key != key
    assert find_group(groups, key) is groups[0]
    assert find_group(groups, "nothing like it") is None


def test_linking_to_an_unknown_procedure_is_refused(store: Store, knowledge: Knowledge,
                                                    tmp_path: Path) -> None:
    ask(store, "quán hát cho khách")
    [group] = review_groups(store.db, knowledge)
    with pytest.raises(ValueError, match="no procedure has the code 9.999999"):
        link_group(tmp_path / "overrides.yaml", group, "9.999999", OFFICER, knowledge)
