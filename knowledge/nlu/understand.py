"""What a citizen's message asks: the intent, the procedure, the aspect, or a choice to offer.

Two signals are weighed against each other:
* how close the message is to the example sentences of each intent (intents.yaml);
* how much of the message a procedure name explains (the ranking's query coverage).
A message close to a non-procedure example ("số điện thoại đường dây nóng") goes to that
intent; one whose words are explained by a procedure name goes to the procedure; one that
neither explains is out of scope, which the bot says plainly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.vocabulary import OUT_OF_SCOPE, OVERVIEW, PROCEDURE
from knowledge.base import Knowledge
from knowledge.nlu.aspects import AspectMatch
from knowledge.nlu.normalize import NormalizedText, Token, folded_words, marked_words
from knowledge.nlu.ranking import RankedProcedure, contains_phrase

if TYPE_CHECKING:
    from knowledge.nlu.live_overrides import OverrideMatcher


# An intent example this close settles the intent whatever the procedures say.
SURE_INTENT = 0.72
# Below this, an intent example is too far to count.
MIN_INTENT = 0.40
# Distinct messages whose understanding is kept for reuse.
CACHE_SIZE = 20_000
# Weight of the intent model's probability next to the nearest-example similarity.
MODEL_WEIGHT = 0.4
# Below this combined score no intent is meant: the message is out of scope.
MIN_COMBINED = 0.45
# Summed rarity of matched words (idf) that makes a match strong: about two rare words.
STRONG_MATCH = 8.0
# How much of the question the best record must explain to be named outright: its evidence,
# and the share of the question's words (by rarity) found in it. Below these the bot offers
# its best readings to choose from; a record that explains less than MIN_COVERAGE of the
# question is no reading at all: the records do not hold the procedure (measured on the
# tuning half of eval/: right answers kept, confident wrong ones and procedures of other
# bodies turned into choices and "not in my data").
SURE_EVIDENCE = 0.65
SURE_COVERAGE = 0.40
MIN_COVERAGE = 0.30
# Two procedures whose scores are this close (relative) are both offered.
CLOSE_SCORES = 0.06
MAX_CHOICES = 4
CHOICES_WHEN_UNSURE = 3
# The evidence and name coverage of a message that says a whole official name.
FULL_NAME = 0.95
# A message this long may tell a situation before it asks (see _request_start), and its
# request is at least this long.
SITUATION_MIN_TOKENS = 8
REQUEST_MIN_TOKENS = 4
_CLAUSE_BREAK_RE = re.compile(r",|\b(?:thì|thi)\b", re.IGNORECASE)
# A message whose best record has this evidence and covers this share of the record's name and
# of the message names that procedure: "cấp tài khoản định danh điện tử mức 2" is the
# procedure, not online help.
CLEAR_NAME_EVIDENCE = 0.8
CLEAR_NAME_COVERAGE = 0.6
# Aspects that only a procedure has: a question asking one is a procedure question.
PROCEDURE_ASPECTS = frozenset({"documents", "fee", "duration", "conditions", "steps"})
# Readings that a question about another body's procedure may get, and that give way to "not
# in my data" (a petition about a school is still a petition).
READ_AS_OUTSIDE = frozenset({"procedure", "out_of_scope", "contact", "online_help", "subscribe",
                             "help", "smalltalk"})
# Readings a procedure question may be mistaken for by a word or two ("số điện thoại" in "tin
# nhắn hiện tên thay cho số điện thoại thì đăng ký gì"). Online help, a petition's state,
# petitions and ratings have words of their own, and keep them.
YIELDS_TO_A_PROCEDURE_QUESTION = frozenset({"contact", "out_of_scope", "subscribe", "help",
                                            "smalltalk"})
# How close a FAQ entry, guide or contact must be to be the one meant.
MIN_HANDKEPT = 0.30

_CODE_RE = re.compile(r"\b(\d\.\d{6})\b")


@dataclass(frozen=True)
class Understanding:
    text: str
    intent: str
    procedure: RankedProcedure | None = None
    aspect: str | None = None
    # Other procedures offered as a choice when two readings are close, best first.
    alternatives: tuple[RankedProcedure, ...] = ()
    ranked: tuple[RankedProcedure, ...] = ()
    intent_scores: dict[str, float] = field(default_factory=dict)
    has_diacritics: bool = False
    # The closest FAQ entry, guide and contact ids, for the handlers of those intents.
    faq_id: str | None = None
    guide_id: str | None = None
    contact_ids: tuple[str, ...] = ()
    # The message says a part of a procedure and nothing of its own ("mất bao lâu", "nộp ở
    # đâu"): the procedure can only come from the conversation.
    aspect_only: bool = False
    # The code of the conversation's procedure this reading rests on (a follow-up), or None.
    context: str | None = None
    # A procedure question the records have no procedure for; and the body whose procedure
    # it is, when the question says (see ranking.yaml, outside_records).
    not_in_data: bool = False
    outside_body: str | None = None

    @property
    def needs_choice(self) -> bool:
        return self.intent == PROCEDURE and self.procedure is None and bool(self.alternatives)

    @property
    def asks_which_procedure(self) -> bool:
        """An aspect asked with no procedure to ask it of: the bot asks which one."""
        return self.intent == PROCEDURE and self.aspect_only and self.procedure is None


@dataclass(frozen=True)
class Topic:
    """The procedure the conversation is about, and the part last asked; when the bot asked
    which procedure was meant and the citizen went on without choosing, the first one offered
    and the others."""

    code: str
    aspect: str
    alternatives: tuple[str, ...] = ()


class Understander:
    """`overrides` (knowledge/nlu/live_overrides.py) are the officers' decisions: a question one of
    them is meant by is answered accordingly, before any ranking."""

    def __init__(self, knowledge: Knowledge, cache_size: int = CACHE_SIZE,
                 overrides: OverrideMatcher | None = None) -> None:
        self.knowledge = knowledge
        self.overrides = overrides
        self.cache_size = cache_size
        # Citizens ask the same things again and again; the knowledge does not change while
        # the process runs (new overrides make a new Understander, see `rebuilt`), so an
        # understanding can be reused for the same text.
        self.understand = lru_cache(maxsize=cache_size)(self._understand)

    def rebuilt(self, knowledge: Knowledge,
                overrides: OverrideMatcher | None) -> Understander:
        """An understander like this one over other knowledge, with an empty cache: one made
        anew rather than this one's cache cleared, so that an understanding still being worked
        out with the old knowledge in another thread cannot land in the new cache."""
        return Understander(knowledge, self.cache_size, overrides)

    def _understand(self, text: str) -> Understanding:
        normalized = self.knowledge.normalizer.normalize(text)
        words = list(normalized.folded)
        aspect = self.knowledge.aspects.detect(words)
        by_code = self._procedure_by_code(text)
        if by_code is not None:
            return Understanding(text, PROCEDURE, by_code, aspect.aspect if aspect else OVERVIEW,
                                 ranked=(by_code,), has_diacritics=normalized.has_diacritics)
        if not words:
            return Understanding(text, OUT_OF_SCOPE, has_diacritics=normalized.has_diacritics)
        if self.overrides is not None:
            overridden = self._overridden(self.overrides, text, normalized, aspect)
            if overridden is not None:
                return overridden
        ranked = self._rank(normalized, aspect)
        if aspect is not None and ranked and self._cue_in_name(words, aspect, ranked[0]):
            # "đủ điều kiện kinh doanh", "kết quả khảo nghiệm", "chi phí giám định": the cue
            # is the procedure's own wording, not the part asked.
            aspect = self.knowledge.aspects.detect(words, besides=aspect)
            ranked = self._rank(normalized, aspect)
        # Examples are matched with the everyday words and their official meanings both.
        matching_words = self.knowledge.aliases.expand(words)
        intent_scores = {label: match.score for label, match in
                         self.knowledge.intent_examples.best(matching_words).items()}
        model = self.knowledge.intent_model.probabilities(
            self.knowledge.content_words_of(normalized, aspect))
        intent = self._negated(self._decide(intent_scores, model, ranked, words, aspect),
                               words)
        base = dict(text=text, ranked=tuple(ranked), intent_scores=intent_scores,
                    has_diacritics=normalized.has_diacritics)
        aspect_only = aspect is not None and \
            self.knowledge.follow_ups.words(normalized, aspect).only_aspect
        if aspect_only and not (intent == "online_help" and aspect.aspect == "online"):
            # "mất bao lâu", "làm ở đâu": a part of some procedure, whichever intent its few
            # words lean to. The conversation may say which (knowledge/nlu/conversation.py);
            # otherwise the bot asks. Asked on its own, "làm online được không" is about
            # online services.
            return Understanding(**base, intent=PROCEDURE, aspect=aspect.aspect,
                                 aspect_only=True)
        outside = self._outside_body(normalized)
        if outside is not None and intent in READ_AS_OUTSIDE and not (
                ranked and self._explains(ranked[0], outside, words)):
            # "đăng ký nghĩa vụ quân sự", "cho con vào lớp 1": another body's procedure.
            return Understanding(**base, intent=PROCEDURE,
                                 aspect=aspect.aspect if aspect else OVERVIEW,
                                 not_in_data=True, outside_body=outside)
        if intent == PROCEDURE:
            chosen, alternatives = self._choose(ranked, normalized)
            return Understanding(**base, intent=intent, procedure=chosen,
                                 alternatives=alternatives,
                                 aspect=aspect.aspect if aspect else OVERVIEW,
                                 not_in_data=chosen is None and not alternatives)
        return Understanding(**base, intent=intent, aspect=None, aspect_only=aspect_only,
                             **self._handkept_matches(matching_words))

    def _overridden(self, overrides: OverrideMatcher, text: str, normalized: NormalizedText,
                    aspect: AspectMatch | None) -> Understanding | None:
        """The understanding an officer's override gives the question, if one is meant."""
        found = overrides.match(normalized, aspect)
        if found is None:
            return None
        if found.kind == "faq":
            return Understanding(text, "online_help", faq_id=found.target,
                                 has_diacritics=normalized.has_diacritics)
        record = self.knowledge.procedures[found.target]
        ranked = self._rank(normalized, aspect)
        linked = next((r for r in ranked if r.code == found.target),
                      RankedProcedure.certain(found.target, record["name"]))
        # The officer said which procedure these words mean: no choice to offer.
        return Understanding(text, PROCEDURE, linked, aspect.aspect if aspect else OVERVIEW,
                             ranked=(linked, *(r for r in ranked if r.code != found.target)),
                             has_diacritics=normalized.has_diacritics)

    def _explains(self, best: RankedProcedure, body: str, words: list[str]) -> bool:
        """Whether the best record answers a question that also says another body's words:
        it names the record outright (the whole name said: the other words tell why, as in
        "chứng chỉ hành nghề thú y để mở phòng khám"), or answers it surely and its name has
        those words."""
        if is_clear_name_match(best) or says_whole_name(best):
            return True
        name = folded_words(self.knowledge.procedures[best.code]["name"])
        said = [phrase for phrase in self.knowledge.rules.outside_records[body]
                if contains_phrase(words, phrase)]
        return procedure_evidence(best) >= SURE_EVIDENCE and \
            best.query_coverage >= SURE_COVERAGE and \
            all(contains_phrase(name, phrase) for phrase in said)

    def _outside_body(self, normalized: NormalizedText) -> str | None:
        """The body whose procedure the message names, compared with diacritics when typed."""
        rules = self.knowledge.rules
        marked = normalized.has_diacritics
        words = [token.marked if marked else token.folded for token in normalized.tokens]
        for body, phrases in rules.outside_records.items():
            if any(contains_phrase(words, rules.outside_marks[phrase] if marked else phrase)
                   for phrase in phrases):
                return body
        return None

    def _cue_in_name(self, words: list[str], aspect: AspectMatch,
                     best: RankedProcedure) -> bool:
        name = folded_words(self.knowledge.procedures[best.code]["name"])
        return contains_phrase(name, tuple(words[aspect.start:aspect.end]))

    def _procedure_by_code(self, text: str) -> RankedProcedure | None:
        for code in _CODE_RE.findall(text):
            record = self.knowledge.procedures.get(code)
            if record is not None:
                return RankedProcedure.certain(code, record["name"])
        return None

    def _rank(self, normalized: NormalizedText, aspect: AspectMatch | None,
              ) -> list[RankedProcedure]:
        tokens: list[Token] = list(normalized.tokens)
        split = self._request_start(normalized)
        if aspect is not None:
            if aspect.start < split:
                split -= min(split, aspect.end) - aspect.start
            tokens = aspect.without_cue(tokens)
        situation, request = self._without_question_phrases(tokens[:split]), \
            self._without_question_phrases(tokens[split:])
        builder = self.knowledge.query_builder
        if situation and request:
            query = builder.build_told(situation, request, normalized.has_diacritics)
        else:
            query = builder.build(situation + request, normalized.has_diacritics)
        return self.knowledge.index.search(query, limit=10)

    def _without_question_phrases(self, tokens: list[Token]) -> list[Token]:
        words = [token.folded for token in tokens]
        kept: list[Token] = []
        i = 0
        while i < len(tokens):
            phrase = next((p for p in self.knowledge.rules.question_phrases
                           if tuple(words[i:i + len(p)]) == p), None)
            if phrase is not None:
                i += len(phrase)
                continue
            kept.append(tokens[i])
            i += 1
        return kept

    def _request_start(self, normalized: NormalizedText) -> int:
        """Where the request of a long message begins: after its last comma or "thì" ("bố
        tôi mất, muốn sang tên đất cho mẹ thì làm sao" asks for the transfer, the rest tells
        the situation). 0 for a message with no such break."""
        text = normalized.original
        if len(normalized.tokens) < SITUATION_MIN_TOKENS:
            return 0
        breaks = sorted({m.start() for m in _CLAUSE_BREAK_RE.finditer(text)}, reverse=True)
        for cut in breaks:
            start = len(self.knowledge.normalizer.normalize(text[:cut]).tokens)
            # "..., muốn sang tên thì làm sao": "làm sao" alone is no request.
            if start and len(normalized.tokens) - start >= REQUEST_MIN_TOKENS:
                return start
        return 0

    def _negated(self, intent: str, words: list[str]) -> str:
        for original, opposite, negators in self.knowledge.rules.negations:
            if intent == original and negators.intersection(words):
                return opposite
        return intent

    def _decide(self, intent_scores: dict[str, float], model: dict[str, float],
                ranked: list[RankedProcedure], words: list[str],
                aspect: AspectMatch | None) -> str:
        """Each intent's nearest example (for the procedure intent, the evidence of the best
        record), plus the intent model's probability, weighed together; then the cues of
        ranking.yaml: a clear official name first, strong cues ("muốn phản ánh") next, and
        a procedure question is not turned away by a weak likeness to another intent."""
        rules = self.knowledge.rules
        named = bool(ranked) and is_clear_name_match(ranked[0])
        for intent, cues in rules.strong_intent_cues.items():
            if not named and any(contains_phrase(words, cue) for cue in cues):
                return intent
        combined = {intent: score + MODEL_WEIGHT * model.get(intent, 0.0)
                    for intent, score in intent_scores.items()
                    if intent != PROCEDURE and self._says_what_it_needs(intent, words)}
        evidence = max(procedure_evidence(ranked[0]) if ranked else 0.0,
                       intent_scores.get(PROCEDURE, 0.0))
        combined[PROCEDURE] = evidence + MODEL_WEIGHT * model.get(PROCEDURE, 0.0)
        best = max(combined, key=combined.__getitem__)
        asks_procedure = (aspect is not None and aspect.aspect in PROCEDURE_ASPECTS) or any(
            contains_phrase(words, cue) for cue in rules.procedure_cues)
        if best != PROCEDURE and intent_scores.get(best, 0.0) < SURE_INTENT and (
                named or (asks_procedure and best in YIELDS_TO_A_PROCEDURE_QUESTION)):
            return PROCEDURE
        if combined[best] < MIN_COMBINED:
            # Nothing fits, but it asks for a procedure: one the records lack, most likely.
            return PROCEDURE if asks_procedure else OUT_OF_SCOPE
        return best

    def _says_what_it_needs(self, intent: str, words: list[str]) -> bool:
        """Whether the message has one of the words the intent needs, if it needs any."""
        needed = self.knowledge.rules.required_intent_cues.get(intent)
        return not needed or any(contains_phrase(words, cue) for cue in needed)

    def _handkept_matches(self, words: list[str]) -> dict:
        """The FAQ entry, guide and contacts closest to the message, if close enough."""
        faq = self.knowledge.faq_examples.best(words)
        guides = self.knowledge.guide_examples.best(words)
        contacts = self.knowledge.contact_examples.best(words)
        contact_ids = tuple(m.label for m in sorted(contacts.values(), key=lambda m: -m.score)
                            if m.score >= MIN_HANDKEPT)
        return dict(faq_id=_closest(faq), guide_id=_closest(guides), contact_ids=contact_ids)

    def _choose(self, ranked: list[RankedProcedure], normalized: NormalizedText,
                ) -> tuple[RankedProcedure | None, tuple[RankedProcedure, ...]]:
        """The procedure to answer with, or none and the close ones to choose from.

        Level variants of one procedure (the commune's, the province's, the ministry's) are
        one reading, not a choice: the ranking already put the likeliest first.
        """
        readings = _distinct_families(ranked)
        if not readings:
            return None, ()
        top = readings[0]
        evidence = procedure_evidence(top)
        if top.query_coverage < MIN_COVERAGE:
            # Most of the question is unexplained: not a reading to name. Still, a record
            # whose rare words the question says (a long situation, then "tập sự công
            # chứng") is offered with the next ones; otherwise the records lack it.
            if evidence < SURE_EVIDENCE:
                return None, ()
            return None, tuple(readings[:CHOICES_WHEN_UNSURE])
        # A message that says a whole official name names it, whatever situation it tells.
        named = says_whole_name(top)
        # A short, vague question ("giấy phép") is explained by many names, each weakly:
        # which one is for the citizen to say.
        if not named and (evidence < SURE_EVIDENCE or top.query_coverage < SURE_COVERAGE):
            return None, tuple(readings[:CHOICES_WHEN_UNSURE])
        close = [r for r in readings[1:MAX_CHOICES]
                 if top.score - r.score <= CLOSE_SCORES * max(top.score, 1e-9)
                 and not self._qualifiers_decide(top, r, normalized)]
        if close:
            return None, (top, *close)
        return top, tuple(readings[1:3])

    def _qualifiers_decide(self, top: RankedProcedure, other: RankedProcedure,
                           normalized: NormalizedText) -> bool:
        """Whether what the question says settles the two: they differ by qualifiers ("cấp
        lại", "gia hạn") and the question says those of the first and none of the other."""
        rules = self.knowledge.rules
        marked = normalized.has_diacritics
        said = [token.marked if marked else token.folded for token in normalized.tokens]

        def has(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
            return contains_phrase(words, rules.qualifier_marks[phrase] if marked else phrase)

        def of(name: str) -> frozenset[tuple[str, ...]]:
            words = (marked_words(name) if marked
                     else folded_words(name))
            return frozenset(q for q in rules.qualifiers if has(words, q))

        first = of(top.name)
        differing = first ^ of(other.name)
        return bool(differing) and all(has(said, q) == (q in first) for q in differing)


def is_clear_name_match(best: RankedProcedure) -> bool:
    """The message says most of an official name and little else: it names the procedure."""
    return (procedure_evidence(best) >= CLEAR_NAME_EVIDENCE
            and best.name_coverage >= CLEAR_NAME_COVERAGE
            and best.query_coverage >= CLEAR_NAME_COVERAGE)


def says_whole_name(best: RankedProcedure) -> bool:
    """The message says a whole official name, whatever else it says."""
    return procedure_evidence(best) >= FULL_NAME and best.name_coverage >= FULL_NAME


def procedure_evidence(best: RankedProcedure) -> float:
    """How surely the message is about the best record, 0..1: how much of the record's rarer
    words it says, in absolute terms (a long, situational question is not less about a
    procedure), discounted when it says little of the name ("góp ý" is not "Góp ý kiến đối
    với các quy chế quản lý...")."""
    said = min(1.0, best.matched_weight / STRONG_MATCH)
    return said * (0.45 + 0.55 * best.name_coverage)


def _closest(matches: dict) -> str | None:
    if not matches:
        return None
    best = max(matches.values(), key=lambda m: m.score)
    return best.label if best.score >= MIN_HANDKEPT else None


def _distinct_families(ranked: list[RankedProcedure]) -> list[RankedProcedure]:
    seen: set[str] = set()
    distinct = []
    for item in ranked:
        if item.family not in seen:
            seen.add(item.family)
            distinct.append(item)
    return distinct
