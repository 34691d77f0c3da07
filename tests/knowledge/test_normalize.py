"""Vietnamese text normalisation: the two matching forms of a word and the repairs of what
citizens type (shorthand, stretched letters, Telex leftovers, look-alike letters).

Most tests build a Normalizer over a small explicit vocabulary so that they say exactly which
words are known; the last ones use the real knowledge to check its shorthand list is wired in.
"""

from __future__ import annotations

import unicodedata

import pytest

from knowledge.nlu.normalize import (
    Normalizer,
    collapse_stretched,
    fold,
    has_diacritics,
    mark_key,
    telex_decode,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- fold ---------------------------------------------------------------------------------

def test_fold_removes_diacritics_and_lowercases() -> None:
    assert fold("Đăng Ký Khai Sinh") == "dang ki khai sinh"


@pytest.mark.parametrize("letter", ["đ", "Đ"])
def test_fold_turns_d_with_stroke_into_d(letter: str) -> None:
    assert fold(f"{letter}ất") == "dat"


@pytest.mark.parametrize(("one", "other"), [("ký", "kí"), ("lý lịch", "lí lịch"),
                                            ("quý", "quí"), ("Mỹ", "mĩ")])
def test_fold_reads_final_y_and_i_after_a_consonant_as_one_spelling(one: str, other: str) -> None:
    assert fold(one) == fold(other)


@pytest.mark.parametrize(("word", "folded"), [("y tế", "y te"), ("thủy", "thuy"), ("tuổi", "tuoi")])
def test_fold_keeps_y_that_is_not_after_a_consonant(word: str, folded: str) -> None:
    assert fold(word) == folded


def test_fold_gives_the_same_for_composed_and_decomposed_input() -> None:
    assert fold(nfd("Nguyễn Thị Hằng")) == fold("Nguyễn Thị Hằng") == "nguyen thi hang"


# --- mark_key -----------------------------------------------------------------------------

@pytest.mark.parametrize(("old_style", "new_style"), [("hoà", "hòa"), ("thuỷ", "thủy"),
                                                      ("khoẻ", "khỏe"), ("uỷ", "ủy")])
def test_mark_key_ignores_tone_placement_style(old_style: str, new_style: str) -> None:
    assert mark_key(old_style) == mark_key(new_style)


def test_mark_key_gives_the_same_for_composed_and_decomposed_input() -> None:
    assert mark_key(nfd("Nguyễn")) == mark_key("Nguyễn")


def test_mark_key_keeps_the_tone_so_different_words_stay_different() -> None:
    assert len({mark_key("bán"), mark_key("bạn"), mark_key("ban")}) == 3


def test_mark_key_keeps_vowel_marks_and_d_with_stroke() -> None:
    assert mark_key("đăng") != mark_key("dang")
    assert mark_key("đăng") == "đăng"


def test_mark_key_treats_ky_and_ki_alike() -> None:
    assert mark_key("ký") == mark_key("kí")


# --- has_diacritics -----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["lý", "đi", "Đ", "hỏi", nfd("á")])
def test_has_diacritics_sees_tone_vowel_mark_or_d_with_stroke(text: str) -> None:
    assert has_diacritics(text)


@pytest.mark.parametrize("text", ["ly", "lam can cuoc o dau", "abc 123", ""])
def test_has_diacritics_is_false_for_plain_letters(text: str) -> None:
    assert not has_diacritics(text)


# --- collapse_stretched -------------------------------------------------------------------

@pytest.mark.parametrize(("stretched", "word"), [("đâuuuu", "đâu"), ("xinnnn", "xin"),
                                                 ("chàoooo", "chào")])
def test_collapse_stretched_keeps_one_of_a_letter_repeated_three_times_or_more(
        stretched: str, word: str) -> None:
    assert collapse_stretched(stretched) == word


@pytest.mark.parametrize("word", ["hoo", "cooperation", "khai"])
def test_collapse_stretched_leaves_doubled_letters_alone(word: str) -> None:
    assert collapse_stretched(word) == word


# --- telex_decode -------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "word"), [
    ("ddawngs", "đắng"),
    ("ddawng", "đăng"),
    ("kys", "ký"),
    ("tieengs", "tiếng"),
    ("nuwowcs", "nước"),
    ("thuwowngf", "thường"),
    ("Ddawng", "đăng"),
])
def test_telex_decode_reads_unconverted_telex(typed: str, word: str) -> None:
    assert telex_decode(typed) == word


def test_telex_decode_returns_composed_text() -> None:
    decoded = telex_decode("tieengs")
    assert decoded == unicodedata.normalize("NFC", decoded)


@pytest.mark.parametrize("word", ["khai", "sinh", "ca", "ba", "tu"])
def test_telex_decode_returns_none_for_plain_words(word: str) -> None:
    assert telex_decode(word) is None


@pytest.mark.parametrize("token", ["đăng", "a1", "1000"])
def test_telex_decode_returns_none_for_non_ascii_or_non_letters(token: str) -> None:
    assert telex_decode(token) is None


# --- Normalizer ---------------------------------------------------------------------------

VOCABULARY = ["toi", "khong", "biet", "dang", "ki", "dau", "o", "lam", "hong", "duoc", "sinh"]
SHORTHAND = {"ko": "không", "hông": "không", "hong": "không", "đc": "được", "dk": "đăng ký"}


@pytest.fixture
def normalizer() -> Normalizer:
    # "hong" is a word of official names ("hỏng"), so its shorthand reading is protected.
    return Normalizer(VOCABULARY, SHORTHAND, protected=["hong"])


def test_normalizer_expands_shorthand_as_a_whole_word(normalizer: Normalizer) -> None:
    assert normalizer.normalize("tôi ko biết").folded == ("toi", "khong", "biet")


def test_normalizer_expansion_keeps_the_marked_form(normalizer: Normalizer) -> None:
    assert [token.marked for token in normalizer.normalize("ko").tokens] == ["không"]


@pytest.mark.parametrize("text", ["kong", "koko", "kokoko"])
def test_normalizer_does_not_expand_shorthand_inside_a_longer_token(
        normalizer: Normalizer, text: str) -> None:
    assert "khong" not in normalizer.normalize(text).folded


def test_normalizer_expands_shorthand_into_several_words(normalizer: Normalizer) -> None:
    assert normalizer.normalize("dk ở đâu").folded == ("dang", "ki", "o", "dau")


def test_normalizer_leaves_a_protected_word_unexpanded(normalizer: Normalizer) -> None:
    assert normalizer.normalize("hong").folded == ("hong",)


def test_normalizer_expands_shorthand_typed_with_diacritics_exactly(
        normalizer: Normalizer) -> None:
    assert normalizer.normalize("hông").folded == ("khong",)
    assert normalizer.normalize("đc").folded == ("duoc",)


def test_normalizer_does_not_take_a_differently_marked_word_for_shorthand(
        normalizer: Normalizer) -> None:
    # "hồng" (pink, red) is not "hông" (chat for "không").
    assert normalizer.normalize("hồng").folded == ("hong",)


def test_normalizer_repairs_stretched_letters_of_a_known_word(normalizer: Normalizer) -> None:
    tokens = normalizer.normalize("đâuuuu").tokens
    assert [(token.folded, token.marked) for token in tokens] == [("dau", mark_key("đâu"))]


def test_normalizer_repairs_telex_leftovers_when_the_decoded_word_is_known(
        normalizer: Normalizer) -> None:
    normalized = normalizer.normalize("ddawng kys")
    assert normalized.folded == ("dang", "ki")
    assert [token.marked for token in normalized.tokens] == [mark_key("đăng"), mark_key("ký")]


def test_normalizer_keeps_telex_looking_tokens_whose_decoded_word_is_unknown(
        normalizer: Normalizer) -> None:
    # "ddi" would decode to "đi", which this vocabulary does not know.
    assert normalizer.normalize("ddi").folded == ("ddi",)


def test_normalizer_keeps_known_words_as_typed(normalizer: Normalizer) -> None:
    # "sinh" is known, so it is not read as Telex or shorthand even if it could be.
    assert normalizer.normalize("sinh").folded == ("sinh",)


@pytest.mark.parametrize("look_alike", ["\u00d0ăng ký", "\u00f0ăng ký"])
def test_normalizer_reads_the_eth_look_alike_as_d_with_stroke(
        normalizer: Normalizer, look_alike: str) -> None:
    normalized = normalizer.normalize(look_alike)
    assert normalized.folded == ("dang", "ki")
    assert normalized.tokens == normalizer.normalize("Đăng ký").tokens
    assert normalized.has_diacritics


def test_normalizer_reads_decomposed_input_like_composed(normalizer: Normalizer) -> None:
    assert normalizer.normalize(nfd("Đăng ký ở đâu")).tokens == \
        normalizer.normalize("Đăng ký ở đâu").tokens


def test_normalizer_reports_whether_the_message_had_diacritics(normalizer: Normalizer) -> None:
    assert normalizer.normalize("đăng ký").has_diacritics
    assert not normalizer.normalize("dang ky").has_diacritics


def test_normalizer_splits_on_punctuation(normalizer: Normalizer) -> None:
    assert normalizer.normalize("Đăng ký, ở đâu?!").folded == ("dang", "ki", "o", "dau")


# --- the real knowledge's normalizer ------------------------------------------------------

def test_real_normalizer_expands_common_chat_shorthand(knowledge) -> None:
    assert knowledge.normalizer.normalize("ko dc").folded == ("khong", "duoc")


def test_real_normalizer_does_not_expand_a_word_of_official_names(knowledge) -> None:
    # "hông" is listed as shorthand for "không", but "hong" folded is a word of procedure
    # names ("hỏng"), so typed without diacritics it stays.
    assert "hong" in knowledge.index.vocabulary
    assert knowledge.normalizer.normalize("hong").folded == ("hong",)
    assert knowledge.normalizer.normalize("hông").folded == ("khong",)


def test_real_normalizer_repairs_telex_and_stretched_letters(knowledge) -> None:
    assert knowledge.normalizer.normalize("ddawng kys khai sinhhhh").folded == \
        ("dang", "ki", "khai", "sinh")


def test_numbers_keep_their_repeated_digits() -> None:
    normalizer = Normalizer({"nop", "dong", "ma"})
    assert normalizer.normalize("nộp 1000 đồng, mã 1.004222").folded == (
        "nop", "1000", "dong", "ma", "1", "004222")
