"""The officers' overrides (knowledge/handkept/overrides.py) in the running bot, from the next
message on.

    watcher = OverridesWatcher(Path("var/knowledge-overrides.yaml"), knowledge)
    overlay = watcher.refresh()   # an Overlay when the file changed since the last call, else None
    if overlay is not None:
        understander = Understander(overlay.knowledge, overrides=overlay.matcher)

`refresh` costs one os.stat when nothing changed, so the dialogue asks at every message; every
worker process watches the same file, so an entry saved by one is used by all. A broken file
is logged (file, line, field) and the last good overrides stay in use.

An override is applied the way the committed knowledge is:
* an alias's phrases join the aliases of aliases.yaml, meaning the procedure's official name,
  so that a question containing one leans to that procedure (knowledge/nlu/query.py); and a
  question that says the same as a phrase, or nearly (apart from filler words and the aspect
  asked), answers that procedure outright;
* an FAQ entry joins the FAQ of faq.yaml (handlers/online_help.py answers it), and a question
  that says the same as one of its questions is answered with it.
Only what depends on the overrides is rebuilt (the alias table, the query builder, the FAQ
index, a few milliseconds); the procedure index and the intent model are shared.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.vocabulary import PROCEDURE
from knowledge.base import Knowledge, alias_pairs, faq_example_index
from knowledge.handkept.overrides import Overrides, OverridesError, load_overrides
from knowledge.nlu.aspects import AspectMatch
from knowledge.nlu.normalize import NormalizedText, Token
from knowledge.nlu.query import AliasTable, QueryBuilder
from knowledge.nlu.similarity import ExampleIndex

logger = logging.getLogger(__name__)

FAQ = "faq"
# How close (cosine over words, pairs and letter trigrams of the content words) a question must
# be to an override's phrase to be answered by it when it does not say exactly the same.
SAME_QUESTION = 0.7
# An alias phrase joins the query aliases only with this many content words: a lone word
# ("đất") would lean every question that has it towards one procedure.
MIN_ALIAS_WORDS = 2


@dataclass(frozen=True)
class OverrideTarget:
    """What an override answers: a procedure (`target` is its code) or an FAQ entry (its id)."""

    kind: str
    target: str
    override_id: str


class OverrideMatcher:
    """Finds the override a question is meant by: the same content words as one of its phrases
    (filler words and the aspect cue set aside, diacritics folded), or nearly the same."""

    def __init__(self, knowledge: Knowledge, overrides: Overrides) -> None:
        self.knowledge = knowledge
        self._stopwords = knowledge.query_builder.stopwords
        self._exact: dict[tuple[str, ...], OverrideTarget] = {}
        examples: list[tuple[OverrideTarget, str, list[str]]] = []
        targets = [(OverrideTarget(PROCEDURE, alias.procedure, alias.id), alias.phrases)
                   for alias in overrides.aliases if alias.procedure in knowledge.procedures]
        targets += [(OverrideTarget(FAQ, entry.id, entry.id), entry.questions)
                    for entry in overrides.faq]
        for target, texts in targets:
            for text in texts:
                keys = self.keys_of(text)
                for key in keys:
                    # Later entries win: the file lists them in the order they were saved.
                    self._exact[key] = target
                if keys:
                    examples.append((target, text, list(keys[-1])))
        self._index = ExampleIndex(examples)

    def __len__(self) -> int:
        return len(self._exact)

    def keys_of(self, text: str) -> tuple[tuple[str, ...], ...]:
        normalized = self.knowledge.normalizer.normalize(text)
        return self.keys(normalized, self.knowledge.aspects.detect(list(normalized.folded)))

    def keys(self, normalized: NormalizedText,
             aspect: AspectMatch | None) -> tuple[tuple[str, ...], ...]:
        """The words that say what a question is about, without filler words and the aspect
        cue: as read by their diacritics when it has any ("làm" is filler, "lâm" is not), and
        as read without (the last key), so that a phrase saved with diacritics matches a
        question typed without and the other way round. Empty keys are left out."""
        tokens: Sequence[Token] = normalized.tokens
        if aspect is not None:
            tokens = aspect.without_cue(tokens)
        is_stopword = self._stopwords.is_stopword
        plain = tuple(t.folded for t in tokens if not is_stopword(t.folded, None))
        keys = [plain]
        if normalized.has_diacritics:
            keys.insert(0, tuple(t.folded for t in tokens if not is_stopword(t.folded, t.marked)))
        return tuple(dict.fromkeys(key for key in keys if key))

    def match(self, normalized: NormalizedText,
              aspect: AspectMatch | None) -> OverrideTarget | None:
        keys = self.keys(normalized, aspect)
        for key in keys:
            exact = self._exact.get(key)
            if exact is not None:
                return exact
        if not keys:
            return None
        best = max(self._index.best(list(keys[-1])).values(), key=lambda m: m.score,
                   default=None)
        if best is not None and best.score >= SAME_QUESTION:
            return best.label  # type: ignore[return-value]
        return None

    def match_text(self, text: str) -> OverrideTarget | None:
        normalized = self.knowledge.normalizer.normalize(text)
        return self.match(normalized, self.knowledge.aspects.detect(list(normalized.folded)))

    def is_filler(self, word: str) -> bool:
        """A filler word whatever its diacritics would have been."""
        return self._stopwords.is_stopword(word, None)


@dataclass(frozen=True)
class Overlay:
    """The knowledge with the overrides in it, and the matcher the understanding asks first
    (None when there are no overrides: the knowledge is then the committed one, unchanged)."""

    knowledge: Knowledge
    matcher: OverrideMatcher | None
    overrides: Overrides


def apply_overrides(knowledge: Knowledge, overrides: Overrides) -> Overlay:
    """`knowledge` (never changed) with the overrides added; only what they touch is rebuilt."""
    if not len(overrides):
        return Overlay(knowledge, None, overrides)
    matcher = OverrideMatcher(knowledge, overrides)
    faq = knowledge.handkept.faq + tuple(entry.as_faq_entry() for entry in overrides.faq)
    aliases = AliasTable([*alias_pairs(knowledge.handkept),
                          *_alias_phrases(knowledge, matcher, overrides)])
    base_query = knowledge.query_builder
    overlaid = replace(
        knowledge,
        handkept=replace(knowledge.handkept, faq=faq),
        aliases=aliases,
        query_builder=QueryBuilder(aliases, base_query.stopwords, base_query.corrector),
        faq_examples=faq_example_index(faq, knowledge.normalizer),
    )
    # The matcher reads only the normaliser, aspect cues, fillers and procedure codes, which
    # the overlay shares with the committed knowledge.
    return Overlay(overlaid, matcher, overrides)


def _alias_phrases(knowledge: Knowledge, matcher: OverrideMatcher,
                   overrides: Overrides) -> list[tuple[str, str]]:
    """(phrase, official name) for the alias overrides, as the query builder reads aliases:
    spelling repaired, without the aspect cue and without filler words at either end (inner
    ones stay, since aliases match consecutive words)."""
    pairs = []
    correct = knowledge.query_builder.corrector.correct
    for alias in overrides.aliases:
        record = knowledge.procedures.get(alias.procedure)
        if record is None:
            logger.warning("Knowledge override %s links to %s, which is not a known procedure; "
                           "it is not used", alias.id, alias.procedure)
            continue
        for phrase in alias.phrases:
            normalized = knowledge.normalizer.normalize(phrase)
            aspect = knowledge.aspects.detect(list(normalized.folded))
            keys = matcher.keys(normalized, aspect)
            if not keys or len(keys[0]) < MIN_ALIAS_WORDS:
                continue
            words = list(normalized.folded)
            if aspect is not None:
                words = aspect.without_cue(words)
            words = [correct(word) for word in words]
            while words and matcher.is_filler(words[0]):
                words.pop(0)
            while words and matcher.is_filler(words[-1]):
                words.pop()
            pairs.append((" ".join(words), record["name"]))
    return pairs


_UNSEEN = ("unseen",)


class OverridesWatcher:
    """Follows the overrides file: `refresh()` reloads it when it changed (one os.stat
    otherwise) and returns the new Overlay; thread-safe."""

    def __init__(self, path: Path | str, knowledge: Knowledge) -> None:
        self.path = Path(path)
        self.knowledge = knowledge
        self.overlay = Overlay(knowledge, None, Overrides())
        # The problems of the file as it is now, if it is broken (for the staff pages).
        self.error: OverridesError | None = None
        self._stamp: tuple = _UNSEEN
        self._lock = threading.Lock()

    def changed(self) -> bool:
        return _stamp_of(self.path) != self._stamp

    def refresh(self) -> Overlay | None:
        """The new overlay when the file changed since the last call (or on the first call);
        None when it did not, or when it is broken now (the last good overlay stays)."""
        if not self.changed():
            return None
        with self._lock:
            # Stat before reading: a change made while reading is seen at the next message.
            stamp = _stamp_of(self.path)
            if stamp == self._stamp:
                return None  # another thread has just reloaded it
            self._stamp = stamp
            try:
                overrides = load_overrides(self.path)
            except OverridesError as error:
                self.error = error
                logger.error("%s\nThe bot keeps using the last good overrides (%d entries) "
                             "until %s is fixed.", error, len(self.overlay.overrides), self.path)
                return None
            self.error = None
            self.overlay = apply_overrides(self.knowledge, overrides)
            logger.info("Knowledge overrides loaded from %s: %d alias, %d FAQ", self.path,
                        len(overrides.aliases), len(overrides.faq))
            return self.overlay


def _stamp_of(path: Path) -> tuple:
    """What changes when the file is rewritten: os.replace gives a new inode, a hand edit a new
    modification time or size."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return ()
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_dev)
