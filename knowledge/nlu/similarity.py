"""Nearest-example matching for short messages: intents, FAQ entries, guides, contacts.

Each example is a sparse TF-IDF vector of its folded words, word pairs and letter trigrams;
trigrams make it tolerant of typos and of words run together, words and pairs keep it precise.
A message is compared with every example by cosine similarity through an inverted index, so
the cost grows with the examples that share a feature with it, not with all of them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

TRIGRAM_WEIGHT = 0.5
PAIR_WEIGHT = 1.0
WORD_WEIGHT = 1.0


def features(words: Sequence[str]) -> Counter[str]:
    """Words, adjacent pairs and letter trigrams (with word edges marked) of folded words."""
    found: Counter[str] = Counter()
    for word in words:
        found[f"w:{word}"] += WORD_WEIGHT
        padded = f" {word} "
        for i in range(len(padded) - 2):
            found[f"t:{padded[i:i + 3]}"] += TRIGRAM_WEIGHT
    for a, b in zip(words, words[1:], strict=False):
        found[f"p:{a} {b}"] += PAIR_WEIGHT
    return found


@dataclass(frozen=True)
class Match:
    label: Hashable
    example: str
    score: float


class ExampleIndex:
    """Examples, each with a label; `best` gives each label's closest example to a message."""

    def __init__(self, examples: Iterable[tuple[Hashable, str, Sequence[str]]]) -> None:
        rows = [(label, text, features(words)) for label, text, words in examples]
        document_frequency: Counter[str] = Counter()
        for _, _, found in rows:
            document_frequency.update(found.keys())
        count = max(len(rows), 1)
        self._idf = {f: math.log((1 + count) / (1 + df)) + 1
                     for f, df in document_frequency.items()}
        # A feature no example has must still weigh in the message's norm, so that a message
        # full of unknown words is far from every example; it weighs as a typical feature.
        self._unseen_idf = (sum(self._idf.values()) / len(self._idf)) if self._idf else 1.0
        self._labels: list[Hashable] = []
        self._texts: list[str] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for label, text, found in rows:
            vector = self._weigh(found)
            row = len(self._labels)
            self._labels.append(label)
            self._texts.append(text)
            for feature, weight in vector.items():
                self._postings[feature].append((row, weight))

    def __len__(self) -> int:
        return len(self._labels)

    def _weigh(self, found: Counter[str]) -> dict[str, float]:
        vector = {f: c * self._idf.get(f, self._unseen_idf) for f, c in found.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {f: v / norm for f, v in vector.items() if v}

    def best(self, words: Sequence[str]) -> dict[Hashable, Match]:
        """For each label, the example most similar to the words (cosine, 0..1)."""
        if not words:
            return {}
        query = self._weigh(features(words))
        totals: dict[int, float] = defaultdict(float)
        for feature, weight in query.items():
            for row, row_weight in self._postings.get(feature, ()):
                totals[row] += weight * row_weight
        best: dict[Hashable, Match] = {}
        for row, score in totals.items():
            label = self._labels[row]
            if label not in best or score > best[label].score:
                best[label] = Match(label, self._texts[row], min(score, 1.0))
        return best
