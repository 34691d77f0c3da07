"""Everyday phrases found in a message (knowledge/nlu/query.py AliasTable)."""

from __future__ import annotations

from knowledge.nlu.normalize import folded_words, mark_key
from knowledge.nlu.query import ALIASED_WORD_WEIGHT, AliasTable

TABLE = AliasTable([("nghỉ đẻ", "hưởng chế độ thai sản"), ("sổ đỏ", "giấy chứng nhận")])


def rewritten(text: str, typed_with_marks: bool) -> list[tuple[str, float]]:
    words = folded_words(text)
    marks = [mark_key(word) for word in text.split()] if typed_with_marks else None
    return TABLE.rewrite(words, marks)


def test_a_phrase_typed_without_diacritics_matches_whatever_it_meant() -> None:
    words = dict(rewritten("nghi de", typed_with_marks=False))
    assert words["thai"] > ALIASED_WORD_WEIGHT and words["nghi"] == ALIASED_WORD_WEIGHT


def test_typed_with_other_diacritics_it_is_not_the_alias() -> None:
    # "nghỉ để chuyển việc" (rest in order to) folds like "nghỉ đẻ" (maternity leave).
    assert rewritten("nghỉ để chuyển", typed_with_marks=True) == [
        ("nghi", 1.0), ("de", 1.0), ("chuyen", 1.0)]


def test_typed_with_its_own_diacritics_it_is_the_alias() -> None:
    assert "thai" in dict(rewritten("xin nghỉ đẻ", typed_with_marks=True))


def test_a_word_typed_bare_among_marked_ones_still_matches() -> None:
    # "sổ do": the citizen left one word bare; it says nothing against the alias.
    assert "chung" in dict(rewritten("sổ do", typed_with_marks=True))
