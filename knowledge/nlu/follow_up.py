"""Reading a message against the procedure the conversation is about.

Citizens follow an answer up the way they would with a clerk: "còn lệ phí thì sao?", "mất bao
lâu", "thế còn người nước ngoài?". Such a message says a part of a procedure, or a case of it,
and leaves the procedure to the conversation. The words of intents.yaml (`follow_ups`) tell
which words of a message name something of its own:

* once the aspect cue is taken out, a message left with neutral words only (fillers, words any
  procedure uses, words of the conversation's procedure) asks that part of the same procedure;
* a message left with qualifiers only ("người nước ngoài", "dưới 14 tuổi", "bị mất") asks the
  sibling procedure for that case: a record of the same field whose name says the case and
  otherwise reads like the conversation's procedure;
* anything else is a question of its own, and the conversation's procedure plays no part.

Example:
    reader = FollowUpReader(knowledge)
    reader.words(normalized, aspect)          # what the message says beyond its aspect cue
    reader.sibling("1.001193", reader.words(...).qualifiers)   # the foreign-element variant
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.handkept.model import FollowUpWords
from knowledge.nlu.aspects import AspectMatch
from knowledge.nlu.normalize import NormalizedText, Token, folded_words, mark_key
from knowledge.nlu.query import Stopwords
from knowledge.nlu.ranking import contains_phrase, split_name

if TYPE_CHECKING:
    from knowledge.nlu.ranking import ProcedureIndex

Phrase = tuple[str, ...]

# A sibling must say this share of the conversation procedure's name words (by rarity) beyond
# the case itself, or it is another procedure that merely shares the case.
MIN_SIBLING_OVERLAP = 0.5
_AGE_RE = re.compile(r"^\d{1,3}$")
_PARENTHESES_RE = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class MessageWords:
    """What a message says once its aspect cue is out: the qualifiers it names (indices into
    the qualifier list) and the words that are neither neutral nor part of a qualifier."""

    qualifiers: tuple[int, ...]
    others: tuple[str, ...]

    @property
    def only_aspect(self) -> bool:
        return not self.qualifiers and not self.others


class PhraseSet:
    """Phrases found in a message, longest first; compared with diacritics when the message
    has them ("còn" is not "con"), folded when it has none."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self._folded: dict[Phrase, int] = {}
        self._marked: dict[Phrase, int] = {}
        self.longest = 0
        for index, phrase in enumerate(phrases):
            folded = tuple(folded_words(phrase))
            if not folded:
                continue
            self._folded.setdefault(folded, index)
            self._marked.setdefault(tuple(mark_key(word) for word in phrase.split()), index)
            self.longest = max(self.longest, len(folded))

    def match_at(self, tokens: Sequence[Token], start: int,
                 marked: bool) -> tuple[int, int] | None:
        """(phrase index, length) of the longest phrase at `start`, or None."""
        table = self._marked if marked else self._folded
        for size in range(min(self.longest, len(tokens) - start), 0, -1):
            window = tokens[start:start + size]
            key = tuple(t.marked if marked else t.folded for t in window)
            if key in table:
                return table[key], size
        return None


class FollowUpReader:
    def __init__(self, words: FollowUpWords, stopwords: Stopwords, index: ProcedureIndex,
                 procedures: Mapping[str, Mapping]) -> None:
        self._neutral = PhraseSet(words.neutral)
        self._question_words = PhraseSet(words.question_words)
        self._qualifiers = words.qualifiers
        said = [(phrase, number) for number, q in enumerate(words.qualifiers) for phrase in q.says]
        self._said = PhraseSet([phrase for phrase, _ in said])
        self._qualifier_of_phrase = [number for _, number in said]
        self._names = [tuple(tuple(folded_words(name)) for name in q.names)
                       for q in words.qualifiers]
        self._stopwords = stopwords
        self._index = index
        self._procedures = procedures
        self._by_field: dict[str, list[str]] = defaultdict(list)
        self._by_body: dict[str, list[str]] = defaultdict(list)
        for code, record in procedures.items():
            self._by_field[record.get("field") or ""].append(code)
            self._by_body[record.get("ministry") or ""].append(code)

    # --- what a message says ---------------------------------------------------------------

    def words(self, normalized: NormalizedText, aspect: AspectMatch | None,
              topic_code: str | None = None) -> MessageWords:
        """The qualifiers and other words of a message, its aspect cue aside. Words of the
        procedure `topic_code` count as neutral: "tạm trú mất bao lâu" after an answer on
        temporary residence only asks the time."""
        tokens = list(normalized.tokens)
        if aspect is not None:
            tokens = aspect.without_cue(tokens)
        marked = normalized.has_diacritics
        topic_words = self._name_words(topic_code) if topic_code else frozenset()
        qualifiers: list[int] = []
        others: list[str] = []
        i = 0
        while i < len(tokens):
            found = self._said.match_at(tokens, i, marked)
            if found is not None:
                qualifiers.append(self._qualifier_of_phrase[found[0]])
                i += found[1]
                continue
            age = self._age_at(tokens, i)
            if age is not None:
                qualifiers.append(age)
                i += 2
                continue
            neutral = self._neutral.match_at(tokens, i, marked)
            if neutral is not None:
                i += neutral[1]
                continue
            token = tokens[i]
            if not (self._stopwords.is_stopword(token.folded, token.marked if marked else None)
                    or token.folded in topic_words):
                others.append(token.folded)
            i += 1
        return MessageWords(tuple(dict.fromkeys(qualifiers)), tuple(others))

    def is_question(self, normalized: NormalizedText) -> bool:
        """Whether the message asks something: a question mark or a question word."""
        if "?" in normalized.original:
            return True
        tokens = normalized.tokens
        marked = normalized.has_diacritics
        return any(self._question_words.match_at(tokens, i, marked) is not None
                   for i in range(len(tokens)))

    def _age_at(self, tokens: Sequence[Token], i: int) -> int | None:
        """The qualifier an age names ("10 tuổi" under `age_below`), if one stands at i."""
        if i + 1 >= len(tokens) or not _AGE_RE.match(tokens[i].folded) \
                or tokens[i + 1].folded != "tuoi":
            return None
        age = int(tokens[i].folded)
        return next((number for number, q in enumerate(self._qualifiers)
                     if q.age_below is not None and age < q.age_below), None)

    # --- the sibling for a case ------------------------------------------------------------

    def sibling(self, code: str, qualifiers: Sequence[int]) -> str | None:
        """The record for the cases `qualifiers` name, beside `code`: the same record if its
        name already says them, else the sibling that reads most like it (in the same field,
        else from the same body), else None."""
        record = self._procedures.get(code)
        if record is None or not qualifiers:
            return None
        if all(self._says_case(code, q) for q in qualifiers):
            return code
        case_words = self._case_words(qualifiers)
        # What the procedure is, without whom or which case it is for: "Cấp thẻ căn cước"
        # of "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên".
        base = self._name_words(code, primary=True) - case_words
        for group in (self._by_field[record.get("field") or ""],
                      self._by_body[record.get("ministry") or ""]):
            found = self._closest(code, base, case_words, group, qualifiers)
            if found is not None:
                return found
        return None

    def _closest(self, code: str, base: frozenset[str], case_words: frozenset[str],
                 group: Sequence[str], qualifiers: Sequence[int]) -> str | None:
        best: tuple[float, float, float, str] | None = None
        for other in group:
            if other == code or not all(self._says_case(other, q) for q in qualifiers):
                continue
            overlap = self._overlap(base, self._name_words(other))
            if overlap < MIN_SIBLING_OVERLAP:
                continue
            # Among equally close ones, the one that adds least to the name, then the one the
            # ranking prefers (level variants of one sibling).
            extra = self._weight(self._name_words(other, primary=True) - base - case_words)
            key = (overlap, -extra, self._index.prior_of(other), other)
            if best is None or key > best:
                best = key
        return best[3] if best else None

    def _says_case(self, code: str, qualifier: int) -> bool:
        words = tuple(folded_words(self._procedures[code]["name"]))
        return any(contains_phrase(words, phrase) for phrase in self._names[qualifier])

    def _case_words(self, qualifiers: Sequence[int]) -> frozenset[str]:
        return frozenset(word for q in qualifiers for phrase in self._names[q] for word in phrase)

    def _name_words(self, code: str, primary: bool = False) -> frozenset[str]:
        name = _PARENTHESES_RE.sub(" ", self._procedures[code]["name"])
        if primary:
            name = split_name(name)[0]
        return frozenset(word for word in folded_words(name)
                         if not self._stopwords.is_stopword(word, None))

    def _weight(self, words: frozenset[str]) -> float:
        return sum(self._index.idf(word) for word in words)

    def _overlap(self, base: frozenset[str], other: frozenset[str]) -> float:
        """The share of `base` (by rarity) that `other` says."""
        total = self._weight(base)
        return self._weight(base & other) / total if total else 0.0

