"""Which part of a procedure a question asks about: documents, fee, duration, where...

Cue phrases come from intents.yaml (`aspects:`) and are matched on folded words, the longest
cue winning, so "mất bao lâu" is about duration even though "mất" alone can be about a fee
("mất tiền") or a loss ("bị mất").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from knowledge.normalize import folded_words

ASPECTS = ("documents", "fee", "duration", "where", "online", "steps", "result", "conditions")
OVERVIEW = "overview"


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
        for aspect, phrases in cues.items():
            for cue in phrases:
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
        return best
