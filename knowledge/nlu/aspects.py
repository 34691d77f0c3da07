"""Which part of a procedure a question asks about: documents, fee, duration, where...

Cue phrases come from intents.yaml (`aspects:`) and are matched on folded words, the longest
cue winning, so "mất bao lâu" is about duration even though "mất" alone can be about a fee
("mất tiền") or a loss ("bị mất").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.vocabulary import ASPECTS as VOCABULARY_ASPECTS
from bot.vocabulary import OVERVIEW  # noqa: F401  (re-exported)
from knowledge.nlu.normalize import folded_words

GAP = "…"
# The aspects themselves are bot.vocabulary.ASPECTS (re-exported here for the detector's users).
ASPECTS = VOCABULARY_ASPECTS.values


@dataclass(frozen=True)
class AspectMatch:
    aspect: str
    start: int
    end: int

    def without_cue(self, words: Sequence[str]) -> list[str]:
        """The question's words with the cue removed, so it does not sway the ranking."""
        return list(words[:self.start]) + list(words[self.end:])


class AspectDetector:
    def __init__(self, cues: Mapping[str, Sequence[str]]) -> None:
        # Cues by their first word, longest first, so that a message is read in one pass.
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        # Cues in parts ("phí … bao nhiêu"): said when the parts come in that order.
        self._in_parts: list[tuple[tuple[tuple[str, ...], ...], str]] = []
        for aspect, phrases in cues.items():
            for cue in phrases:
                if GAP in cue:
                    parts = tuple(tuple(folded_words(part)) for part in cue.split(GAP))
                    self._in_parts.append((parts, aspect))
                    continue
                words = tuple(folded_words(cue))
                if words:
                    self._by_first_word.setdefault(words[0], []).append((words, aspect))
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda item: -len(item[0]))

    def detect(self, words: Sequence[str],
               besides: AspectMatch | None = None) -> AspectMatch | None:
        """The longest cue found in the words (the earliest among equally long ones); with
        `besides`, the best one that does not overlap it."""
        best: AspectMatch | None = None
        for start, word in enumerate(words):
            for cue, aspect in self._by_first_word.get(word, ()):
                if besides is not None and start < besides.end \
                        and start + len(cue) > besides.start:
                    continue
                if tuple(words[start:start + len(cue)]) == cue:
                    if best is None or len(cue) > best.end - best.start:
                        best = AspectMatch(aspect, start, start + len(cue))
                    break
        return best if best is not None else self._detect_in_parts(words, besides)

    def _detect_in_parts(self, words: Sequence[str],
                         besides: AspectMatch | None) -> AspectMatch | None:
        """A cue in parts, its last part taken as the cue (the first stays in the question:
        "phí thẩm định" names what is paid)."""
        for parts, aspect in self._in_parts:
            position = 0
            found = None
            for part in parts:
                found = _find(words, part, position)
                if found is None:
                    break
                position = found + len(part)
            if found is not None and (besides is None or found >= besides.end
                                      or found + len(parts[-1]) <= besides.start):
                return AspectMatch(aspect, found, found + len(parts[-1]))
        return None


def _find(words: Sequence[str], part: tuple[str, ...], start: int) -> int | None:
    for i in range(start, len(words) - len(part) + 1):
        if tuple(words[i:i + len(part)]) == part:
            return i
    return None
