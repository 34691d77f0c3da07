"""What the bot understands of a citizen's message, through Understander.understand.

The questions here are written for these tests (not taken from the evaluation sets) and
check only behaviour that should hold whatever the ranking's fine tuning: the same question
with or without diacritics, with Telex leftovers or stretched letters, finds the same
procedure; clear aspect cues are read; unrelated messages are out of scope.
"""

from __future__ import annotations

import pytest

from knowledge.base import Knowledge
from knowledge.nlu.aspects import OVERVIEW
from knowledge.nlu.normalize import fold
from knowledge.nlu.understand import OUT_OF_SCOPE, PROCEDURE, Understander

TEMPORARY_RESIDENCE = "1.004194"   # Đăng ký tạm trú
PERMANENT_RESIDENCE = "1.004222"   # Đăng ký thường trú
MARRIAGE = "1.000894"              # Thủ tục đăng ký kết hôn
DEATH = "1.000656"                 # Thủ tục đăng ký khai tử
BIRTH = "1.001193"                 # Thủ tục đăng ký khai sinh
ID_CARD_REISSUE = "1.014064"       # Cấp lại thẻ căn cước


@pytest.fixture(scope="module")
def understander(knowledge: Knowledge) -> Understander:
    return Understander(knowledge)


def top_code(understander: Understander, text: str) -> str | None:
    understanding = understander.understand(text)
    return understanding.procedure.code if understanding.procedure else None


# --- procedures -----------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "code"), [
    ("đăng ký tạm trú cần giấy gì", TEMPORARY_RESIDENCE),
    ("đăng ký thường trú hết bao nhiêu tiền", PERMANENT_RESIDENCE),
    ("đăng ký kết hôn cần những giấy tờ gì", MARRIAGE),
    ("đăng ký khai tử ở đâu", DEATH),
    ("cấp lại căn cước bị mất", ID_CARD_REISSUE),
    ("đăng ký kết hôn mất bao lâu", MARRIAGE),
])
def test_question_finds_its_procedure(understander: Understander, question: str,
                                      code: str) -> None:
    understanding = understander.understand(question)
    assert understanding.intent == PROCEDURE
    assert understanding.procedure is not None and understanding.procedure.code == code


@pytest.mark.parametrize("question", [
    "đăng ký tạm trú cần giấy gì",
    "đăng ký thường trú hết bao nhiêu tiền",
    "đăng ký kết hôn cần những giấy tờ gì",
    "đăng ký khai tử ở đâu",
    "cấp lại căn cước bị mất",
    "đăng ký kết hôn mất bao lâu",
])
def test_question_without_diacritics_is_understood_the_same(understander: Understander,
                                                            question: str) -> None:
    with_marks = understander.understand(question)
    without_marks = understander.understand(fold(question))
    assert without_marks.intent == with_marks.intent == PROCEDURE
    assert without_marks.procedure is not None and with_marks.procedure is not None
    assert without_marks.procedure.code == with_marks.procedure.code
    assert without_marks.aspect == with_marks.aspect


@pytest.mark.parametrize(("clean", "typed"), [
    ("đăng ký tạm trú", "ddawng kys tamj trus"),
    ("thủ tục đăng ký thường trú", "thur tucj ddawng kys thuwowngf trus"),
    ("đăng ký khai tử", "ddawng kys khai tuwr"),
    ("đăng ký kết hôn", "ddawng kys keets hoon"),
])
def test_telex_leftovers_find_the_same_procedure(understander: Understander, clean: str,
                                                 typed: str) -> None:
    expected = top_code(understander, clean)
    assert expected is not None
    assert top_code(understander, typed) == expected


@pytest.mark.parametrize(("clean", "typed"), [
    ("đăng ký tạm trú", "đăng ký tạm trúuuu"),
    ("đăng ký khai sinh", "đăng kýýý khai sinhhhh"),
    ("đăng ký kết hôn", "đăng kýyyy kết hônnn"),
    ("đăng ký thường trú hết bao nhiêu tiền", "đăng ký thường trúuuu hết bao nhiêu tiền"),
])
def test_stretched_letters_find_the_same_procedure(understander: Understander, clean: str,
                                                   typed: str) -> None:
    expected = top_code(understander, clean)
    assert expected is not None
    assert top_code(understander, typed) == expected


def test_birth_registration_resolves_to_a_commune_level_record(
        understander: Understander, knowledge: Knowledge) -> None:
    understanding = understander.understand("đăng ký khai sinh")
    assert understanding.procedure is not None
    levels = knowledge.procedures[understanding.procedure.code]["levels"]
    assert "Cấp xã" in levels
    assert "Cấp bộ" not in levels


def test_birth_registration_is_the_base_procedure_not_a_special_case(
        understander: Understander) -> None:
    # Not "... lưu động", "... có yếu tố nước ngoài" or "... kết hợp nhận cha, mẹ, con".
    assert top_code(understander, "đăng ký khai sinh") == BIRTH


# --- procedure codes ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1.004222", "thủ tục 1.004222", "cho tôi xem mã 1.004222 nhé"])
def test_procedure_code_in_the_message_gives_that_procedure(understander: Understander,
                                                            text: str) -> None:
    understanding = understander.understand(text)
    assert understanding.intent == PROCEDURE
    assert understanding.procedure is not None
    assert understanding.procedure.code == PERMANENT_RESIDENCE
    assert understanding.alternatives == ()


def test_procedure_code_wins_over_the_words_around_it(understander: Understander) -> None:
    # The words name temporary residence; the code typed is permanent residence's.
    assert top_code(understander, "đăng ký tạm trú 1.004222") == PERMANENT_RESIDENCE


# --- aspects --------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "aspect"), [
    ("đăng ký tạm trú lệ phí bao nhiêu", "fee"),
    ("đăng ký thường trú hết bao nhiêu tiền", "fee"),
    ("đăng ký tạm trú mất mấy ngày", "duration"),
    ("đăng ký thường trú bao lâu thì xong", "duration"),
    ("đăng ký tạm trú cần giấy gì", "documents"),
    ("đăng ký thường trú cần những giấy tờ gì", "documents"),
    ("đăng ký tạm trú nộp ở đâu", "where"),
    ("đăng ký kết hôn nộp ở đâu", "where"),
    ("đăng ký tạm trú làm trực tuyến được không", "online"),
    ("đăng ký kết hôn có nộp online được không", "online"),
])
def test_clear_aspect_cue_is_detected(understander: Understander, question: str,
                                      aspect: str) -> None:
    understanding = understander.understand(question)
    assert understanding.intent == PROCEDURE
    assert understanding.aspect == aspect


@pytest.mark.parametrize(("question", "aspect"), [
    ("dang ky tam tru le phi bao nhieu", "fee"),
    ("dang ky ket hon mat bao lau", "duration"),
    ("dang ky tam tru can giay gi", "documents"),
    ("dang ky khai tu o dau", "where"),
])
def test_aspect_cue_is_detected_without_diacritics(understander: Understander, question: str,
                                                   aspect: str) -> None:
    assert understander.understand(question).aspect == aspect


def test_procedure_question_without_a_cue_asks_for_the_overview(
        understander: Understander) -> None:
    understanding = understander.understand("đăng ký tạm trú")
    assert understanding.intent == PROCEDURE
    assert understanding.aspect == OVERVIEW


def test_the_aspect_cue_does_not_change_the_procedure(understander: Understander) -> None:
    plain = top_code(understander, "tôi muốn đăng ký thường trú")
    assert plain == PERMANENT_RESIDENCE
    for cue in ("lệ phí bao nhiêu", "mất mấy ngày", "nộp ở đâu", "cần giấy gì"):
        assert top_code(understander, f"tôi muốn đăng ký thường trú {cue}") == plain


# --- out of scope and small talk ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "asdkjh qwezx",
    "zxcv bnm qwerty",
    "!!!",
    "???",
    "",
])
def test_gibberish_is_out_of_scope(understander: Understander, text: str) -> None:
    understanding = understander.understand(text)
    assert understanding.intent == OUT_OF_SCOPE
    assert understanding.procedure is None
    assert understanding.aspect is None


@pytest.mark.parametrize("text", [
    "giá xăng hôm nay bao nhiêu",
    "kết quả bóng đá tối qua",
    "tỷ số trận đấu tối qua",
    "bài hát hay nhất năm nay",
    "dự báo thời tiết ngày mai",
])
def test_unrelated_topics_are_out_of_scope(understander: Understander, text: str) -> None:
    assert understander.understand(text).intent == OUT_OF_SCOPE


@pytest.mark.parametrize("text", ["xin chào", "chào buổi sáng", "chao buoi sang", "xin chàooo"])
def test_greeting_is_smalltalk(understander: Understander, text: str) -> None:
    understanding = understander.understand(text)
    assert understanding.intent == "smalltalk"
    assert understanding.procedure is None


# --- choices --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "giấy phép",
    "đăng ký",
    "cấp lại",
    "thủ tục",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "xin cấp giấy phép lái xe",
    "đăng ký xe máy",
    "khai sinh cho con",
    "đăng ký tạm trú",
    "đất đai nhà ở",
])
def test_never_more_than_four_alternatives(understander: Understander, text: str) -> None:
    understanding = understander.understand(text)
    assert len(understanding.alternatives) <= 4


def test_a_vague_question_offers_a_choice_instead_of_guessing(
        understander: Understander) -> None:
    understanding = understander.understand("giấy phép")
    assert understanding.needs_choice
    assert understanding.procedure is None
    assert len(understanding.alternatives) >= 2


def test_alternatives_do_not_repeat_the_chosen_procedure(understander: Understander) -> None:
    understanding = understander.understand("đăng ký kết hôn")
    assert understanding.procedure is not None
    assert understanding.procedure.code not in {alt.code for alt in understanding.alternatives}


def test_understanding_reports_whether_the_message_had_diacritics(
        understander: Understander) -> None:
    assert understander.understand("đăng ký tạm trú").has_diacritics
    assert not understander.understand("dang ky tam tru").has_diacritics


def test_a_long_situation_that_names_a_procedure_offers_it_rather_than_not_in_data(
        understander: Understander) -> None:
    # Most words tell the situation (work, towns, family); the request says the rare words of
    # one record. Too little of the question is explained to name it, too much of the
    # record is said to claim the records lack it.
    understanding = understander.understand(
        "tôi ra trường luật được hai năm, làm ở công ty ở Đà Nẵng, giờ vợ con chuyển về quê "
        "Quảng Nam nên muốn xin tập sự hành nghề công chứng ở đó")
    assert not understanding.not_in_data
    assert understanding.procedure is None
    assert "1.013807" in {alt.code for alt in understanding.alternatives}


def test_a_verb_typed_with_diacritics_is_not_read_as_an_alias_that_folds_alike(
        understander: Understander) -> None:
    # "nghỉ để chuyển sang việc khác" folds like "nghỉ đẻ" (maternity benefit).
    understanding = understander.understand(
        "tôi là công chứng viên, muốn nghỉ để chuyển sang việc khác thì xin miễn nhiệm ra sao")
    assert understanding.procedure is not None
    assert understanding.procedure.code == "1.013805"   # Miễn nhiệm công chứng viên


def test_a_whole_official_name_is_answered_though_another_body_s_word_tells_why(
        understander: Understander) -> None:
    # "phòng khám" is a health word (not in the records), here only the reason.
    understanding = understander.understand(
        "xin cấp chứng chỉ hành nghề thú y để mở phòng khám chó mèo")
    assert not understanding.not_in_data
    assert understanding.procedure is not None
    assert understanding.procedure.code == "1.004756"   # Cấp Chứng chỉ hành nghề thú y
