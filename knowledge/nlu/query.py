"""From a normalised message to the weighted words the procedure ranking looks for.

Three repairs happen here, each driven by data:
* everyday words become official ones through the aliases ("sổ đỏ" -> "giấy chứng nhận quyền
  sử dụng đất"); the citizen's own words stay, with less weight, in case they were official;
* words that say nothing about the procedure (stopwords) are dropped;
* a misspelt word is replaced by the nearest known word ("thuogn" -> "thuong").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge.nlu.normalize import Token, folded_words, mark_key, marked_words

# The citizen's own words next to an alias's official wording: kept, but weighed less.
ALIASED_WORD_WEIGHT = 0.35
# The words of a situation told before the request, next to the request's own.
SITUATION_WEIGHT = 0.6
MIN_MEANING_WEIGHT = 0.45


@dataclass(frozen=True)
class QueryTerm:
    word: str
    weight: float
    # The word with its diacritics (see normalize.mark_key) when the citizen typed them.
    marked: str | None = None


@dataclass(frozen=True)
class Query:
    terms: tuple[QueryTerm, ...]
    # Adjacent word pairs, which distinguish "khai sinh" from a name that has both words apart.
    pairs: tuple[QueryTerm, ...]
    # The citizen's words after spelling repair, and after aliases replaced everyday phrases.
    original: tuple[str, ...] = ()
    rewritten: tuple[str, ...] = ()
    # The citizen's words with their diacritics (mark_key), when the question has any.
    marked: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(term.word for term in self.terms)

    def is_empty(self) -> bool:
        return not self.terms


class AliasTable:
    """Finds everyday phrases in a folded word sequence, longest first."""

    def __init__(self, aliases: Iterable[tuple[str, str]]) -> None:
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        # How each term is written with diacritics: typed with them, a phrase must match them
        # ("nghỉ để chuyển việc" is not "nghỉ đẻ").
        self._marks: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for phrase, meaning in aliases:
            key = tuple(folded_words(phrase))
            if key:
                self._phrases[key] = tuple(folded_words(meaning))
                self._marks.setdefault(key, set()).add(tuple(marked_words(phrase)))
        self._longest = max((len(key) for key in self._phrases), default=0)

    def rewrite(self, words: Sequence[str],
                marks: Sequence[str | None] | None = None) -> list[tuple[str, float]]:
        """Words with weights: alias meanings at full weight, the words they replace less.
        `marks` are the words as typed with diacritics (None where unknown)."""
        result: list[tuple[str, float]] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                key = tuple(words[i:i + size])
                meaning = self._phrases.get(key)
                if meaning is not None and self._typed_alike(key, words, marks, i):
                    result.extend((word, ALIASED_WORD_WEIGHT) for word in key)
                    # A long official phrase for a short everyday one weighs about as much as
                    # the words it replaces, or it would drown the rest of the question.
                    share = max(MIN_MEANING_WEIGHT, min(1.0, 1.5 * size / len(meaning)))
                    result.extend((word, share) for word in meaning)
                    i += size
                    break
            else:
                result.append((words[i], 1.0))
                i += 1
        return result

    def _typed_alike(self, key: tuple[str, ...], words: Sequence[str],
                     marks: Sequence[str | None] | None, start: int) -> bool:
        """Whether the words at `start` are the term as typed: a word typed without any mark
        (or repaired) matches whatever its marks, one typed with other marks does not."""
        if marks is None:
            return True
        typed = marks[start:start + len(key)]
        return any(all(mark is None or mark == word or mark == expected
                       for mark, word, expected in zip(typed, key, written, strict=True))
                   for written in self._marks[key])

    def expand(self, words: Sequence[str]) -> list[str]:
        """Just the words after rewriting, for building vocabularies."""
        return [word for word, _ in self.rewrite(words)]


class SpellCorrector:
    """Replaces an unknown word by the most common known word one or two edits away."""

    def __init__(self, word_frequencies: Mapping[str, int]) -> None:
        self._frequencies = dict(word_frequencies)
        self._choices = list(self._frequencies)
        self.correct = lru_cache(maxsize=20_000)(self._correct)

    def _correct(self, word: str) -> str:
        if word in self._frequencies or len(word) < 3 or word.isdigit():
            return word
        max_edits = 1 if len(word) <= 5 else 2
        candidates = process.extract(word, self._choices, scorer=Levenshtein.distance,
                                     score_cutoff=max_edits, limit=8)
        if not candidates:
            return word
        best = min(candidates, key=lambda c: (c[1], -self._frequencies[c[0]]))
        return best[0]


class Stopwords:
    """Function words, recognised safely with or without diacritics.

    Folding makes some of them collide with content words ("cần" and "căn", "đang" and
    "đăng"), so a question with diacritics is checked by the marked form, and one without
    only against the folded forms that collide with no word in the procedure names.
    """

    def __init__(self, words: Iterable[str], content_vocabulary: Iterable[str]) -> None:
        plain = [word for phrase in words for word in phrase.split()]
        self.marked = frozenset(mark_key(word) for word in plain)
        content = frozenset(content_vocabulary)
        self.folded = frozenset(w for word in plain for w in folded_words(word)) - content

    def is_stopword(self, folded: str, marked: str | None) -> bool:
        if marked is not None:
            return marked in self.marked
        return folded in self.folded


class QueryBuilder:
    def __init__(self, aliases: AliasTable, stopwords: Stopwords,
                 corrector: SpellCorrector) -> None:
        self.aliases = aliases
        self.stopwords = stopwords
        self.corrector = corrector

    def build(self, tokens: Sequence[Token], has_diacritics: bool) -> Query:
        marks = {token.folded: token.marked for token in tokens} if has_diacritics else {}
        corrected = [self.corrector.correct(token.folded) for token in tokens]
        as_typed = [token.marked if word == token.folded else None
                    for token, word in zip(tokens, corrected, strict=True)] \
            if has_diacritics else None
        weighted = self.aliases.rewrite(corrected, as_typed)
        content = [(word, weight) for word, weight in weighted
                   if not self.stopwords.is_stopword(word, marks.get(word))]
        terms = _merge(content, marks)
        pairs = _merge([(f"{a} {b}", min(wa, wb))
                        for (a, wa), (b, wb) in zip(content, content[1:], strict=False)], {})
        rewritten = tuple(word for word, weight in weighted if weight > ALIASED_WORD_WEIGHT)
        typed = tuple(token.marked for token in tokens) if has_diacritics else ()
        return Query(terms, pairs, tuple(corrected), rewritten, typed)


    def build_told(self, situation: Sequence[Token], request: Sequence[Token],
                   has_diacritics: bool) -> Query:
        """The query of a message that tells a situation, then asks: the situation's words
        weigh less than the request's ("đổi sang căn cước mới, có phải cập nhật lên sổ đỏ
        không" is about the land certificate)."""
        told = self.build(situation, has_diacritics)
        asked = self.build(request, has_diacritics)
        weights: dict[str, QueryTerm] = {}
        for term in told.terms:
            weights[term.word] = QueryTerm(term.word, term.weight * SITUATION_WEIGHT, term.marked)
        for term in asked.terms:
            known = weights.get(term.word)
            if known is None or known.weight < term.weight:
                weights[term.word] = term
        pairs = {pair.word: pair for pair in (*told.pairs, *asked.pairs)}
        return Query(tuple(weights.values()), tuple(pairs.values()),
                     told.original + asked.original, told.rewritten + asked.rewritten,
                     told.marked + asked.marked)


def _merge(weighted: Iterable[tuple[str, float]],
           marks: Mapping[str, str]) -> tuple[QueryTerm, ...]:
    """One term per word, with the highest weight it was given, in first-seen order."""
    best: dict[str, float] = {}
    for word, weight in weighted:
        best[word] = max(weight, best.get(word, 0.0))
    return tuple(QueryTerm(word, weight, marks.get(word)) for word, weight in best.items())
