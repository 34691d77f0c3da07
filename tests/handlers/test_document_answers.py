"""The documents answer (handlers/documents.py via handlers/procedures.py): the general case
first, every item reachable page by page, the other cases as buttons, on real records."""

from __future__ import annotations

import re

import pytest

from bot.dialogue import Dialogue, offline_dialogue
from bot.messages import Incoming
from handlers import documents
from handlers.procedures import FIRST_MESSAGE_CHARS, answer, documents_reply
from knowledge.base import Knowledge
from knowledge.importer.document_cases import DOCUMENT

HOUSEHOLD_BUSINESS = "1.001612"
TEMPORARY_RESIDENCE = "1.004194"
PERMANENT_RESIDENCE = "1.004222"


def pages(record: dict, t, case: str = documents.GENERAL) -> list[str]:
    """Every page of a case, following "Xem tiếp"."""
    texts, start = [], 0
    while True:
        reply = documents_reply(record, case, start, t)
        texts.append(reply.text)
        following = [b.payload for b in reply.buttons
                     if b.payload.startswith("docs:") and not b.payload.endswith(":0")]
        if not following:
            return texts
        start = documents.parse_payload(following[0].removeprefix("docs:"))[2]


def general_documents(record: dict) -> list[dict]:
    return [e for g in record["documents"]["groups"] if g["general"] for e in g["items"]
            if e["kind"] == DOCUMENT]


def test_every_general_document_is_shown_over_the_pages_and_each_page_fits(
        knowledge: Knowledge, t) -> None:
    checked = 0
    for code, record in sorted(knowledge.procedures.items())[::40]:
        if not general_documents(record):
            continue
        shown = [line for text in pages(record, t) for line in text.splitlines()
                 if line.startswith("• ")]
        names = [" ".join(entry["name"].split()) for entry in general_documents(record)]
        # One line per document, each the record's own words (shortened at either end, or
        # in the middle where the paper is named last), in their order.
        assert len(shown) == len(names), code
        for line, name in zip(shown, names, strict=True):
            words = re.sub(r" \([^()]*\)$", "", line[2:]).strip("…")
            at = 0
            for part in words.split(" … "):
                at = name.find(part, at)
                assert at != -1, (code, line[:60])
        assert all(len(text) <= FIRST_MESSAGE_CHARS for text in pages(record, t)), code
        checked += 1
    assert checked >= 40


def test_quantities_read_as_a_person_would(knowledge: Knowledge, t) -> None:
    text = answer(knowledge.procedures[HOUSEHOLD_BUSINESS], "documents", t).text
    assert "Giấy đề nghị đăng ký hộ kinh doanh" in text
    assert "0 bản chính" not in text and "(1 bản chính)" in text


def test_other_cases_are_buttons_and_open_their_documents(knowledge: Knowledge, t) -> None:
    record = knowledge.procedures[TEMPORARY_RESIDENCE]
    reply = answer(record, "documents", t)
    assert "Ví dụ" not in reply.text and "Mẫu CT01" in reply.text
    cases = [b for b in reply.buttons if b.payload.startswith("docs:") and
             b.payload.endswith(":0")]
    assert any("theo danh sách" in b.label.lower() for b in cases)
    listed = next(b for b in cases if "theo danh sách" in b.label.lower())
    code, case, start = documents.parse_payload(listed.payload.removeprefix("docs:"))
    text = documents_reply(record, case, start, t).text
    assert t("documents.case", case="Đăng ký tạm trú theo danh sách") in text
    assert "Văn bản đề nghị đăng ký tạm trú" in text


def test_no_general_case_means_the_citizen_chooses(knowledge: Knowledge, t) -> None:
    reply = answer(knowledge.procedures[PERMANENT_RESIDENCE], "documents", t)
    assert t("documents.choose_case", count=7).split("(")[0] in reply.text
    labels = [b.label for b in reply.buttons if b.payload.startswith("docs:")]
    assert any("thuê, mượn, ở nhờ" in label for label in labels)
    assert len(set(labels)) == len(labels), "no two case buttons read the same"


@pytest.fixture
def dialogue(knowledge: Knowledge, tmp_path) -> Dialogue:
    opened = offline_dialogue(knowledge, tmp_path / "bot.db")
    yield opened
    opened.store.close()


def test_a_case_button_through_the_dialogue_answers_and_keeps_the_topic(
        dialogue: Dialogue) -> None:
    replies = dialogue.handle(Incoming("web", "u1", button=f"docs:{TEMPORARY_RESIDENCE}:1:0"))
    assert "Đăng ký tạm trú" in replies[0].text
    topic = dialogue.store.conversation_topic("web", "u1")
    assert (topic.procedure_code, topic.aspect) == (TEMPORARY_RESIDENCE, "documents")


@pytest.mark.parametrize("payload", [
    "docs:1.004194:99:0", "docs:9.999999:g:0", "docs:1.004194:g", "docs:1.004194:x:0",
    "docs:1.004194:g:-1",
])
def test_a_stale_or_forged_documents_button_gets_a_polite_reply(dialogue: Dialogue, t,
                                                                payload: str) -> None:
    replies = dialogue.handle(Incoming("web", "u1", button=payload))
    assert replies[0].text == t("button.unknown")


def test_a_paper_named_after_a_chain_of_alternatives_keeps_its_name(
        knowledge: Knowledge, t) -> None:
    # "Bản sao từ sổ gốc hoặc bản sao có chứng thực hoặc … giấy tờ chứng minh tư cách pháp
    # lý của người đề nghị": the paper comes last; cutting at the end would lose it.
    text = answer(knowledge.procedures["1.003393"], "documents", t).text
    assert "giấy tờ chứng minh tư cách pháp lý của người đề nghị đăng ký" in text
    # A case that says "thì" after the cut keeps what is to be handed in.
    text = answer(knowledge.procedures["1.012677"], "documents", t).text
    assert "trường hợp không có bản sao thì nộp kèm bản chụp" in text
