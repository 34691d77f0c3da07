"""The knowledge review: the questions the bot could not answer, grouped by similar wording, and
what an officer does about a group.

    from bot.review import answer_group, find_group, link_group, review_groups

    groups = review_groups(store.db, knowledge, since=date(2026, 1, 1), until=date(2026, 3, 31),
                           overrides=load_overrides(path))
    top = groups[0]
    top.representative, top.count, top.reasons, top.phrasings, top.handled_by
    link_group(path, top, "1.000426", "Nguyễn Văn An", knowledge)   # these words mean it
    answer_group(path, find_group(groups, key), "Có, ở tầng hầm, miễn phí.", "Lê Thị Bình")

What is read: questions recorded in `unanswered` (no_match, out_of_scope) and answers citizens
marked unhelpful (`answers` with helpful = 0, with the procedure the bot gave; the copy of such
a question in `unanswered` is not counted twice).

Grouping: each question is normalised by the bot's own normaliser (knowledge/nlu/normalize.py)
and reduced to the words that say what it is about: no aspect cue such as "ở đâu" (a group
is about one thing, whichever part of it was asked), no filler word (by its diacritics when
typed with them; typed without, a filler that may also be a content word only counts for
little). The most asked wording opens a group and takes every remaining wording close to it
(greedy). Only wordings sharing a telling word with it are compared; rapidfuzz's
token_set_ratio screens them, and the share of the two questions' word weight in common
decides (a typo does not make a word different; "khai sinh" does not swallow "khai sinh cho
con nuôi"). A few thousand questions take about a tenth of a second. A group that an override
answers now (knowledge/nlu/live_overrides.py decides, as for the bot) is marked with its id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlite_utils import Database

from bot.storage.ratings import asked_questions
from bot.vocabulary import VIETNAM
from knowledge.base import Knowledge
from knowledge.handkept.overrides import (
    MAX_PHRASES,
    AliasOverride,
    FaqOverride,
    Overrides,
    add_alias,
    add_faq,
)
from knowledge.nlu.live_overrides import OverrideMatcher
from knowledge.nlu.normalize import fold

# token_set_ratio (0-100) of two questions' words for one to be considered for the other's
# group; then the weighted share of words in common that puts it there.
CANDIDATE_SCORE = 60
SAME_GROUP = 0.8
# A word in more wordings than this (share, and at least this many) tells too little to
# look for a wording's group mates by it.
COMMON_WORD_SHARE = 0.05
COMMON_WORD_MIN = 50
# Without diacritics a filler word may be a content word ("the" is "thế" or "thẻ"): it counts,
# but for this much of a word.
AMBIGUOUS_FILLER_WEIGHT = 0.15
# Words this long may have two letters swapped and still be the same word; words of the
# second length, any one letter wrong, missing or extra.
TYPO_MIN_LENGTH = 4
TYPO_ANY_EDIT_LENGTH = 6


@dataclass(frozen=True)
class AskedQuestion:
    """One question the bot could not answer, or whose answer was marked unhelpful."""

    text: str
    reason: str
    channel: str
    at: str
    # The procedure the bot answered with (answers marked unhelpful).
    procedure: str | None = None


@dataclass(frozen=True)
class Phrasing:
    text: str
    count: int


@dataclass(frozen=True)
class QuestionGroup:
    """Questions worded alike. `key` names the group (see find_group)."""

    key: str
    representative: str
    phrasings: tuple[Phrasing, ...]
    count: int
    reasons: dict[str, int]
    channels: dict[str, int]
    # Procedure code -> how often the bot answered with it (answers marked unhelpful).
    procedures: dict[str, int]
    first_seen: str
    last_seen: str
    # The override that answers these questions now, if any.
    handled_by: str | None = None
    # The keys of every wording in the group, so that a group is found again after new
    # questions changed which wording leads it.
    member_keys: tuple[str, ...] = field(default=(), repr=False)

    @property
    def handled(self) -> bool:
        return self.handled_by is not None


# --- reading ------------------------------------------------------------------------------

def read_questions(db: Database, since: date | datetime | None = None,
                   until: date | datetime | None = None) -> list[AskedQuestion]:
    """The questions recorded from `since` to `until` (dates are Vietnamese calendar days,
    both included; datetimes are instants, `until` excluded); all of them without bounds."""
    return [AskedQuestion(text, reason, channel, at, procedure)
            for text, reason, channel, at, procedure in asked_questions(
                db, since=_utc_bound(since, end=False) if since is not None else None,
                until=_utc_bound(until, end=True) if until is not None else None)]


def _utc_bound(moment: date | datetime, *, end: bool) -> str:
    if isinstance(moment, datetime):
        instant = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        day = moment + timedelta(days=1) if end else moment
        instant = datetime.combine(day, time(), tzinfo=VIETNAM)
    return instant.astimezone(UTC).isoformat(timespec="seconds")


# --- grouping -----------------------------------------------------------------------------


@dataclass
class _Wording:
    """Every question that reduces to the same weighted words."""

    key: str
    weights: dict[str, float]
    texts: Counter[str] = field(default_factory=Counter)
    questions: list[AskedQuestion] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)


def review_groups(db: Database, knowledge: Knowledge, *,
                  since: date | datetime | None = None, until: date | datetime | None = None,
                  overrides: Overrides | None = None,
                  include_handled: bool = True) -> list[QuestionGroup]:
    """The questions of the period (all without one) in groups, most asked first."""
    return group_questions(read_questions(db, since, until), knowledge, overrides=overrides,
                           include_handled=include_handled)


def group_questions(questions: Iterable[AskedQuestion], knowledge: Knowledge, *,
                    overrides: Overrides | None = None,
                    include_handled: bool = True) -> list[QuestionGroup]:
    """Questions in groups of similar wording, most asked first. With `overrides`, a group an
    override answers is marked (`handled_by`), or left out when not `include_handled`."""
    reducer = _Reducer(knowledge)
    reduced: dict[str, tuple[str, dict[str, float]]] = {}
    wordings: dict[str, _Wording] = {}
    for question in questions:
        text = " ".join(question.text.split())
        if not text:
            continue
        if text not in reduced:
            reduced[text] = reducer.reduce(text)
        key, weights = reduced[text]
        wording = wordings.get(key)
        if wording is None:
            wording = wordings[key] = _Wording(key, weights)
        wording.texts[text] += 1
        wording.questions.append(question)
    matcher = OverrideMatcher(knowledge, overrides) if overrides is not None and len(
        overrides) else None
    groups = [_group(members, matcher) for members in _cluster(list(wordings.values()))]
    if not include_handled:
        groups = [group for group in groups if not group.handled]
    groups.sort(key=lambda g: g.last_seen, reverse=True)
    return sorted(groups, key=lambda g: -g.count)


class _Reducer:
    """A question -> its content words with weights (see the module docstring)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.stopwords = knowledge.query_builder.stopwords
        self.ambiguous = frozenset(fold(word) for phrase in knowledge.rules.stopwords
                                   for word in phrase.split())

    def reduce(self, text: str) -> tuple[str, dict[str, float]]:
        normalized = self.knowledge.normalizer.normalize(text)
        tokens = list(normalized.tokens)
        aspect = self.knowledge.aspects.detect(list(normalized.folded))
        if aspect is not None and aspect.without_cue(tokens):
            tokens = aspect.without_cue(tokens)
        weights: dict[str, float] = {}
        for token in tokens:
            marked = token.marked if normalized.has_diacritics else None
            if self.stopwords.is_stopword(token.folded, marked):
                continue
            weight = AMBIGUOUS_FILLER_WEIGHT if marked is None and \
                token.folded in self.ambiguous else 1.0
            weights[token.folded] = max(weight, weights.get(token.folded, 0.0))
        if not weights:
            # All filler ("ở đâu"): the words themselves are all there is to compare.
            weights = {token.folded: 1.0 for token in normalized.tokens}
        return " ".join(weights), weights


def _cluster(wordings: list[_Wording]) -> list[list[_Wording]]:
    """Greedy: the most asked wording left opens a group and takes every remaining wording
    close to it. Only wordings that share a word with it are compared (a word most questions
    have does not count, unless the opening one has nothing else); rapidfuzz screens them in C
    and the weighted overlap decides."""
    wordings.sort(key=lambda w: (-w.count, -sum(w.weights.values()), w.key))
    postings: dict[str, set[int]] = {}
    for index, wording in enumerate(wordings):
        for word in wording.weights:
            postings.setdefault(word, set()).add(index)
    common = max(COMMON_WORD_MIN, int(COMMON_WORD_SHARE * len(wordings)))
    grouped: set[int] = set()
    groups = []
    for index, leader in enumerate(wordings):
        if index in grouped:
            continue
        grouped.add(index)
        members = [leader]
        lists = [postings[word] for word in leader.weights]
        telling = [found for found in lists if len(found) <= common] or lists
        candidates = {other: wordings[other].key
                      for other in set().union(*telling).difference(grouped)}
        screened = process.extract(leader.key, candidates, scorer=fuzz.token_set_ratio,
                                   score_cutoff=CANDIDATE_SCORE, limit=None)
        for _key, _score, other in sorted(screened, key=lambda found: found[2]):
            if _overlap(leader.weights, wordings[other].weights) >= SAME_GROUP:
                members.append(wordings[other])
                grouped.add(other)
        groups.append(members)
    return groups


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The share of both questions' word weight in words they have in common; a typo (see
    _same_word) does not make two words different."""
    total = sum(a.values()) + sum(b.values())
    if not total:
        return 0.0
    shared = 0.0
    unmatched: list[str] | None = None
    for word, weight in a.items():
        if word in b:
            shared += weight + b[word]
            continue
        if len(word) < TYPO_MIN_LENGTH:
            continue
        if unmatched is None:
            unmatched = [other for other in b if other not in a]
        for other in unmatched:
            if _same_word(word, other):
                shared += weight + b[other]
                unmatched.remove(other)
                break
    return shared / total


def _same_word(word: str, other: str) -> bool:
    """Two letters swapped ("vein", "vien"), or one letter wrong, missing or extra in a long
    word. Vietnamese syllables are short and many differ by one letter ("kiem", "kien"), so a
    short word must have the same letters."""
    if len(other) < TYPO_MIN_LENGTH or OSA.distance(word, other, score_cutoff=1) > 1:
        return False
    return min(len(word), len(other)) >= TYPO_ANY_EDIT_LENGTH or sorted(word) == sorted(other)


def _group(members: Sequence[_Wording], matcher: OverrideMatcher | None) -> QuestionGroup:
    texts: Counter[str] = Counter()
    questions: list[AskedQuestion] = []
    for wording in members:
        texts.update(wording.texts)
        questions.extend(wording.questions)
    phrasings = sorted(texts.items(), key=lambda item: (-item[1], not _has_marks(item[0]),
                                                        len(item[0]), item[0]))
    moments = sorted(question.at for question in questions)
    handled_by = None
    if matcher is not None:
        for text, _count in phrasings:
            found = matcher.match_text(text)
            if found is not None:
                handled_by = found.override_id
                break
    return QuestionGroup(
        key=members[0].key,
        representative=phrasings[0][0],
        phrasings=tuple(Phrasing(text, count) for text, count in phrasings),
        count=len(questions),
        reasons=_counts(q.reason for q in questions),
        channels=_counts(q.channel for q in questions),
        procedures=_counts(q.procedure for q in questions if q.procedure),
        first_seen=moments[0],
        last_seen=moments[-1],
        handled_by=handled_by,
        member_keys=tuple(wording.key for wording in members),
    )


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _has_marks(text: str) -> bool:
    return fold(text) != text.lower()


def find_group(groups: Iterable[QuestionGroup], key: str) -> QuestionGroup | None:
    """The group named `key`, also when another wording leads it now."""
    groups = list(groups)
    return next((g for g in groups if g.key == key), None) or next(
        (g for g in groups if key in g.member_keys), None)


# --- acting on a group --------------------------------------------------------------------


def link_group(path: Path | str, group: QuestionGroup, procedure: str, officer: str,
               knowledge: Knowledge, *, note: str = "",
               now: datetime | None = None) -> AliasOverride:
    """From now on, the group's wordings mean the procedure `procedure` (an alias override)."""
    return add_alias(path, _wordings(group), procedure, officer, note=note, now=now,
                     procedures=knowledge.procedures)


def answer_group(path: Path | str, group: QuestionGroup, answer: str, officer: str, *,
                 question: str | None = None, link: str | None = None,
                 now: datetime | None = None) -> FaqOverride:
    """From now on, the group's wordings are answered with `answer` (an FAQ override);
    `question` is the question shown above the answer (the most asked wording if None)."""
    questions = [question.strip()] if question and question.strip() else []
    return add_faq(path, [*questions, *_wordings(group)][:MAX_PHRASES], answer, officer,
                   link=link, now=now)


def _wordings(group: QuestionGroup) -> list[str]:
    return [phrasing.text for phrasing in group.phrasings][:MAX_PHRASES]
