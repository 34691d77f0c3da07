"""A hundred answers checked by hand against their records (25 each of fee, time, documents and
place), replayed as of the day they were checked.

`fixtures/checked-answers.yaml` holds, per record and aspect, every fact a citizen would act on
as the record states it, and the reviewer's verdict on the answer: right, missing or wrong, with
the words of the answer that state it. The reviews were done by helper sessions that read only
the answers and the records' raw text. This test keeps the right ones right: every piece the
reviewer copied from a right answer must still be in the answer. The figures (right / missing /
wrong) are reported in the README.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from handlers import documents
from handlers.procedures import answer, documents_reply
from knowledge.base import Knowledge

FIXTURE = Path(__file__).parent / "fixtures" / "checked-answers.yaml"
CHECKED_ON = date(2026, 12, 3)
ASPECTS = ("fee", "duration", "documents", "where")


def checked() -> list[dict]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


def answer_text(record: dict, aspect: str, t) -> str:
    """What the citizen reads: for documents every page reached with "Xem tiếp", and the
    buttons (the other cases are offered as buttons)."""
    if aspect != "documents" or not (record.get("documents") or {}).get("ok"):
        return answer(record, aspect, t, today=CHECKED_ON).text
    texts, start = [], 0
    while True:
        reply = documents_reply(record, documents.GENERAL, start, t)
        texts.append(reply.text)
        texts += [button.label for button in reply.buttons]
        following = [b.payload for b in reply.buttons
                     if b.payload.startswith("docs:") and not b.payload.endswith(":0")]
        if not following:
            return "\n".join(texts)
        start = documents.parse_payload(following[0].removeprefix("docs:"))[2]


def test_the_sample_is_a_hundred_answers_25_per_aspect() -> None:
    entries = checked()
    assert sorted(entry["aspect"] for entry in entries) == sorted(ASPECTS * 25)
    assert len({(entry["code"], entry["aspect"]) for entry in entries}) == 100


@pytest.mark.parametrize("aspect", ASPECTS)
def test_what_was_checked_right_is_still_said(knowledge: Knowledge, t, aspect: str) -> None:
    lost = []
    for entry in checked():
        if entry["aspect"] != aspect:
            continue
        text = " ".join(answer_text(knowledge.procedures[entry["code"]], aspect, t).split())
        for fact in entry["facts"] or []:
            said = " ".join(str(fact.get("answer_says") or "").split())
            if fact["verdict"] == "right" and said and said not in text:
                lost.append((entry["code"], said))
    assert lost == []
