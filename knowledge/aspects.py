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
        self._cues = sorted(
            ((tuple(folded_words(cue)), aspect) for aspect, phrases in cues.items()
             for cue in phrases if folded_words(cue)),
            key=lambda item: -len(item[0]))

    def detect(self, words: Sequence[str]) -> AspectMatch | None:
        """The longest cue found in the words (the earliest among equally long ones)."""
        best: AspectMatch | None = None
        for cue, aspect in self._cues:
            if best is not None and len(cue) < best.end - best.start:
                break
            for start in range(len(words) - len(cue) + 1):
                if tuple(words[start:start + len(cue)]) == cue:
                    if best is None or start < best.start:
                        best = AspectMatch(aspect, start, start + len(cue))
                    break
        return best
