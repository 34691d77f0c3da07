"""An officer's decision in the knowledge review is used from the citizen's next message on,
by the running dialogue and by every other worker on the same overrides file, without a
restart; and undone as easily."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue import Dialogue, offline_dialogue
from bot.messages import Incoming
from bot.review import answer_group, link_group, review_groups
from bot.storage import Store
from knowledge.base import Knowledge
from knowledge.handkept.overrides import remove_override
from knowledge.nlu.understand import OUT_OF_SCOPE, PROCEDURE, Understander

NOW = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)
SETTINGS = replace(Settings.from_env({}), flood_messages=1_000_000_000)
HOUSEHOLD_BUSINESS = "1.001612"   # Đăng ký thành lập hộ kinh doanh
KARAOKE = "quán hát cho khách"
CANTEEN = "căng tin ở đâu"
CANTEEN_ANSWER = "Căng tin ở tầng 1 của Trung tâm, mở từ 7 giờ đến 17 giờ."


@pytest.fixture
def overrides_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "knowledge-overrides.yaml"


@pytest.fixture
def worker(knowledge: Knowledge, tmp_path: Path, overrides_path: Path):
    """A dialogue as `bot serve` runs it, with the overrides file to follow."""
    store = Store(tmp_path / "bot.db")
    yield Dialogue(knowledge, store, SETTINGS, clock=lambda: NOW, overrides_path=overrides_path)
    store.close()


def say(dialogue: Dialogue, text: str, user: str = "citizen"):
    return dialogue.turn(Incoming("web", user, text=text))


def unanswered(dialogue: Dialogue) -> list[tuple[str, str]]:
    return [(row["question"], row["reason"])
            for row in dialogue.store.db.query("SELECT question, reason FROM unanswered")]


def test_a_linked_group_answers_its_procedure_from_the_next_message(
        worker: Dialogue, knowledge: Knowledge, overrides_path: Path, tmp_path: Path) -> None:
    t = knowledge.handkept.text
    # Another worker process on the same machine: its own dialogue, the same file.
    with Store(tmp_path / "other.db") as other_store:
        other = Dialogue(knowledge, other_store, SETTINGS, clock=lambda: NOW,
                         overrides_path=overrides_path)
        before = say(worker, KARAOKE)
        assert before.understanding.intent == OUT_OF_SCOPE
        assert before.replies[0].text.startswith(t("out_of_scope"))
        assert say(other, KARAOKE).understanding.intent == OUT_OF_SCOPE
        say(worker, "quan hat cho khach", user="someone else")
        assert unanswered(worker) == [(KARAOKE, "out_of_scope"),
                                      ("quan hat cho khach", "out_of_scope")]

        [group] = review_groups(worker.store.db, knowledge)
        link_group(overrides_path, group, HOUSEHOLD_BUSINESS, "Nguyễn Văn An", knowledge)

        for dialogue in (worker, other):
            # The same text as before: the understanding kept for it is not reused.
            after = say(dialogue, KARAOKE)
            assert after.understanding.intent == PROCEDURE
            assert after.understanding.procedure.code == HOUSEHOLD_BUSINESS
            assert after.understanding.alternatives == ()
            name = knowledge.procedures[HOUSEHOLD_BUSINESS]["name"]
            assert name in after.replies[0].text
            assert after.replies[-1].text == t("helpful.question")
            # Other wordings of it, and the part asked about, work too.
            where = say(dialogue, "cho em hoi quan hat cho khach nop o dau a")
            assert (where.understanding.procedure.code, where.understanding.aspect) == (
                HOUSEHOLD_BUSINESS, "where")
        # Answered now: nothing more is listed for staff.
        assert len(unanswered(worker)) == 2
        assert worker.store.counts()["answers"] == 2


def test_an_faq_entry_answers_from_the_next_message_and_is_undone_by_removing_it(
        worker: Dialogue, knowledge: Knowledge, overrides_path: Path) -> None:
    t = knowledge.handkept.text
    assert say(worker, CANTEEN).understanding.intent == OUT_OF_SCOPE
    [group] = review_groups(worker.store.db, knowledge)
    entry = answer_group(overrides_path, group, CANTEEN_ANSWER, "Lê Thị Bình",
                         question="Căng tin của Trung tâm ở đâu?")

    for text in (CANTEEN, "cang tin o dau vay", "Cho mình hỏi căng tin ở đâu ạ?"):
        turn = say(worker, text)
        assert turn.understanding.faq_id == entry.id, text
        [reply] = turn.replies
        day = entry.source.checked  # the day it was written, in Vietnam
        assert reply.text == (f"❓ Căng tin của Trung tâm ở đâu?\n{CANTEEN_ANSWER}\n\n"
                              + t("faq.agency_source", date=f"{day[8:10]}/{day[5:7]}/{day[:4]}"))
        # Written by the agency itself: no page to link to, the agency named as the source.
        assert reply.links == ()
    assert unanswered(worker) == [(CANTEEN, "out_of_scope")]

    assert remove_override(overrides_path, entry.id)
    turn = say(worker, CANTEEN)
    assert turn.understanding.intent == OUT_OF_SCOPE
    assert turn.replies[0].text.startswith(t("out_of_scope"))


def test_an_faq_entry_with_a_link_cites_it(worker: Dialogue, knowledge: Knowledge,
                                           overrides_path: Path) -> None:
    say(worker, CANTEEN)
    [group] = review_groups(worker.store.db, knowledge)
    answer_group(overrides_path, group, CANTEEN_ANSWER, "Lê Thị Bình",
                 link="https://example.gov.vn/trung-tam")
    [reply] = say(worker, CANTEEN).replies
    assert [(link.label, link.url) for link in reply.links] == [
        (knowledge.handkept.text("source_label"), "https://example.gov.vn/trung-tam")]


@pytest.mark.slow
def test_a_broken_overrides_file_does_not_stop_the_bot(worker: Dialogue, knowledge: Knowledge,
                                                       overrides_path: Path) -> None:
    say(worker, KARAOKE)
    [group] = review_groups(worker.store.db, knowledge)
    link_group(overrides_path, group, HOUSEHOLD_BUSINESS, "Nguyễn Văn An", knowledge)
    assert say(worker, KARAOKE).understanding.procedure.code == HOUSEHOLD_BUSINESS

    overrides_path.write_text("alias: [\n", encoding="utf-8")   # a hand edit gone wrong
    assert say(worker, KARAOKE).understanding.procedure.code == HOUSEHOLD_BUSINESS
    assert "YAML syntax error" in str(worker.overrides.error)
    # A dialogue started while the file is broken works, without the overrides.
    fresh = offline_dialogue(knowledge, overrides_path)
    assert fresh.ask(KARAOKE).understanding.intent == OUT_OF_SCOPE
    assert fresh.ask("làm căn cước ở đâu").understanding.intent == PROCEDURE


def test_without_an_overrides_path_nothing_changes(knowledge: Knowledge,
                                                   overrides_path: Path,
                                                   tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as store:
        store.record_unanswered("web", "u", KARAOKE, "out_of_scope")
        [group] = review_groups(store.db, knowledge)
        link_group(overrides_path, group, HOUSEHOLD_BUSINESS, "Nguyễn Văn An", knowledge)
        plain = Dialogue(knowledge, store, SETTINGS)
        assert plain.overrides is None
        assert plain.knowledge is knowledge
        assert say(plain, KARAOKE).understanding.intent == OUT_OF_SCOPE
    # The shared knowledge was never changed by the dialogues that follow overrides.
    assert Understander(knowledge).understand(KARAOKE).intent == OUT_OF_SCOPE
    assert offline_dialogue(knowledge).ask(KARAOKE).understanding.intent == OUT_OF_SCOPE
