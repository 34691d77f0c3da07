"""Which part of a procedure a question asks (knowledge/nlu/aspects.py)."""

from __future__ import annotations

import pytest

from knowledge.base import Knowledge
from knowledge.nlu.aspects import AspectDetector
from knowledge.nlu.normalize import folded_words


def detect(knowledge: Knowledge, text: str) -> str | None:
    found = knowledge.aspects.detect(folded_words(text))
    return found.aspect if found else None


@pytest.mark.parametrize(("question", "aspect"), [
    ("thi bằng lái tàu hỏa thì phí sát hạch bao nhiêu", "fee"),
    ("phí thẩm định là bao nhiêu", "fee"),
    ("có mất lệ phí gì không", "fee"),
    ("xong thì được nhận giấy tờ gì", "result"),
    ("cần giấy tờ gì", "documents"),
    ("mất bao lâu", "duration"),
    ("muốn đăng ký tạm trú thì làm thế nào", None),
    ("các bước làm thế nào", "steps"),
])
def test_the_part_asked(knowledge: Knowledge, question: str, aspect: str | None) -> None:
    assert detect(knowledge, question) == aspect


def test_a_cue_in_parts_needs_its_parts_in_order() -> None:
    detector = AspectDetector({"fee": ["phí … bao nhiêu"]})
    assert detector.detect(folded_words("phí thẩm định bao nhiêu")).aspect == "fee"
    assert detector.detect(folded_words("bao nhiêu phí")) is None
    found = detector.detect(folded_words("phí thẩm định bao nhiêu"))
    assert (found.start, found.end) == (3, 5), "the last part is the cue; 'phí' stays asked"


def test_a_cue_in_parts_gives_way_to_a_whole_cue() -> None:
    detector = AspectDetector({"fee": ["phí … bao nhiêu"], "duration": ["bao nhiêu ngày"]})
    assert detector.detect(folded_words("phí gia hạn bao nhiêu ngày")).aspect == "duration"
