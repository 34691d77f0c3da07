"""Which intent a message has: a multinomial Naive Bayes over folded words and word pairs.

The procedure intent learns from every official procedure name as well as from its examples,
so a long, situational question ("xe cũ nát không dùng nữa muốn hủy đăng ký biển số") is
recognised by its procedure words however many other words surround them, while a message
whose words belong to no procedure and to no intent ("tỷ số trận bóng") falls to out of scope.
Classes get equal prior odds: the procedure intent's many names must not outvote the others
by their number alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

SMOOTHING = 0.2


def intent_features(words: Sequence[str]) -> list[str]:
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class IntentModel:
    def __init__(self, training: Mapping[str, Iterable[Sequence[str]]]) -> None:
        """`training` maps each intent to its examples, each as folded words."""
        self._counts: dict[str, Counter[str]] = {}
        for intent, examples in training.items():
            counts: Counter[str] = Counter()
            for words in examples:
                # Each feature counts once per example: a name that repeats a word is not
                # more about it.
                counts.update(set(intent_features(words)))
            self._counts[intent] = counts
        vocabulary = set().union(*self._counts.values()) if self._counts else set()
        self._vocabulary_size = len(vocabulary) + 1
        self._totals = {intent: sum(c.values()) for intent, c in self._counts.items()}

    @property
    def intents(self) -> list[str]:
        return list(self._counts)

    def _log_likelihood(self, intent: str, feature: str) -> float:
        count = self._counts[intent].get(feature, 0)
        return math.log((count + SMOOTHING) /
                        (self._totals[intent] + SMOOTHING * self._vocabulary_size))

    def probabilities(self, words: Sequence[str]) -> dict[str, float]:
        """Posterior probability of each intent for the message (equal priors)."""
        features = intent_features(words)
        if not features or not self._counts:
            return {}
        scores = {intent: sum(self._log_likelihood(intent, f) for f in features)
                  for intent in self._counts}
        top = max(scores.values())
        exp = {intent: math.exp(score - top) for intent, score in scores.items()}
        total = sum(exp.values())
        return {intent: value / total for intent, value in exp.items()}
