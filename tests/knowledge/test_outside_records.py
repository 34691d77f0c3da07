"""Questions about the procedures of bodies the records do not cover (ranking.yaml,
outside_records): said plainly, with the body named, never answered with a wrong record."""

from __future__ import annotations

import pytest

from knowledge.base import Knowledge
from knowledge.nlu.normalize import folded_words
from knowledge.nlu.ranking import contains_phrase
from knowledge.nlu.understand import Understander


@pytest.fixture(scope="module")
def understander(knowledge: Knowledge) -> Understander:
    return Understander(knowledge)


@pytest.mark.slow
def test_no_phrase_of_another_body_stands_in_a_record_name(knowledge: Knowledge) -> None:
    names = [tuple(folded_words(record["name"])) for record in knowledge.procedures.values()]
    for body, phrases in knowledge.rules.outside_records.items():
        for phrase in phrases:
            found = [name for name in names if contains_phrase(name, phrase)]
            assert not found, f"{body}: '{' '.join(phrase)}' is in the name {' '.join(found[0])}"


@pytest.mark.parametrize(("question", "body"), [
    ("đăng ký nghĩa vụ quân sự", "Bộ Quốc phòng"),
    ("dang ky nghia vu quan su o dau", "Bộ Quốc phòng"),
    ("đăng ký cho con vào lớp 1", "Bộ Giáo dục và Đào tạo"),
    ("đăng ký nhập học cho con", "Bộ Giáo dục và Đào tạo"),
    ("mở quán karaoke cần giấy phép gì", "Bộ Văn hóa, Thể thao và Du lịch"),
    ("xin giấy phép bán lẻ rượu", "Bộ Công Thương"),
])
def test_another_bodys_procedure_is_said_to_be_outside_the_records(
        understander: Understander, question: str, body: str) -> None:
    understanding = understander.understand(question)
    assert understanding.procedure is None and not understanding.alternatives
    assert understanding.not_in_data and understanding.outside_body == body


def test_a_record_named_outright_is_answered_whatever_it_shares(
        understander: Understander) -> None:
    understanding = understander.understand("thủ tục xác nhận thực hiện nghĩa vụ thuế")
    assert understanding.procedure is not None and understanding.procedure.code == "1.008591"
    assert understanding.outside_body is None


def test_the_reply_names_the_body_and_points_to_the_portal_and_petitions(
        knowledge: Knowledge, t) -> None:
    from handlers.procedures import handle

    [reply] = handle(Understander(knowledge).understand("đăng ký nghĩa vụ quân sự"), knowledge)
    assert reply.text.startswith(t("procedure.not_in_data_body", body="Bộ Quốc phòng"))
    assert "menu:petition" in [button.payload for button in reply.buttons]
    assert any(link.url.startswith("https://dichvucong.gov.vn") for link in reply.links)
