"""Ranks procedure records against a query.

The score adds up:
* BM25 over the folded words and word pairs of each official name (the field's name at a lower
  weight): which records contain what the citizen asked about. When the citizen typed
  diacritics, a word that matches only once folded ("tô" against "tổ") counts less;
* the longest run of the question's words found in the name, in order: "chuyển mục đích sử
  dụng đất" is one idea, not five words;
* how much of the name the question covers: "đăng ký khai sinh" is the base procedure, not
  "đăng ký khai sinh kết hợp nhận cha, mẹ, con", when nothing more was said;
* the preferences of ranking.yaml: the commune or province version over the ministry's,
  procedures citizens may use, no "cấp đổi"/"cấp lại" the question did not ask for, and the
  common case over special cases the question did not mention.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from knowledge.handkept.schema import SAFE_LOADER
from knowledge.nlu.normalize import fold, folded_words, mark_key
from knowledge.nlu.query import Query
from knowledge.paths import YAML_DIR

RANKING_RULES_PATH = YAML_DIR / "ranking.yaml"

BM25_K1 = 1.2
BM25_B = 0.5
PAIR_WEIGHT = 0.6
FIELD_WEIGHT = 0.25
# A folded match whose diacritics differ from what the citizen typed keeps this share.
MISMARKED_SHARE = 0.4
NAME_COVERAGE_WEIGHT = 0.35
# A special case pushes a record forward in full only when it explains this share of the
# question (query coverage); less, less.
FULL_BOOST_COVERAGE = 0.4
RUN_WEIGHT = 0.25
# Qualifiers count in a name's first clause, where it says what it does; later ones belong to
# the other actions or cases it lists ("Đăng ký, đăng ký lại, điều chỉnh đóng BHXH", "...,
# gia hạn sử dụng đất khi hết thời hạn").
QUALIFIER_WORDS = 8
# Only the best candidates by word score get the finer (slower) checks.
RESCORED = 150

# Parenthesised exclusions ("(trừ xe mô tô, xe gắn máy)") name what a procedure is NOT for.
_EXCLUSION_RE = re.compile(r"\((?:trừ|không bao gồm|không áp dụng)[^)]*\)", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Parentheses in a name clarify (a level, a list of kinds, who it also applies to); the words
# outside them say what the procedure is.
_PARENTHESES_RE = re.compile(r"\([^)]*\)")
_CODE_IN_BRACKETS_RE = re.compile(r"\(\s*\d\.\d{6}\s*\)")
# After these, a name says whom or which case it is for; such words weigh less in how much
# of the name a question covers.
_SECONDARY_RE = re.compile(r"\s(?:đối với|cho|trong trường hợp|trường hợp|theo|tại|do)\s|[;(]",
                           re.IGNORECASE)
SECONDARY_SHARE = 0.35

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class SpecialCase:
    name: str
    markers: tuple[Phrase, ...]
    triggers: tuple[Phrase, ...]
    penalty: float
    boost: float


@dataclass(frozen=True)
class RankingRules:
    # Each trigger phrase (folded) with its words as typed with diacritics (mark_key).
    trigger_marks: Mapping[Phrase, Phrase]
    stopwords: tuple[str, ...]
    level_preference: Mapping[str, float]
    level_markers: tuple[tuple[str, str], ...]
    level_marker_penalty: Mapping[str, float]
    special_cases: tuple[SpecialCase, ...]
    qualifiers: tuple[Phrase, ...]
    # Each qualifier as typed with diacritics: "đổi" must not be found in "đối với".
    qualifier_marks: Mapping[Phrase, Phrase]
    qualifier_penalty: float
    # Qualifiers a question says that a name must have: "đổi cccd" is not "cấp thẻ căn cước".
    asked_qualifiers: tuple[Phrase, ...]
    asked_qualifier_penalty: float
    audience_preference: Mapping[str, float]
    # Intent pairs such as subscribe/unsubscribe: a message matching the first that also says
    # one of the words turns to the second ("hủy đăng ký nhận tin").
    negations: tuple[tuple[str, str, frozenset[str]], ...]
    # Phrases that settle an intent ("muốn phản ánh"), that an intent needs ("tin" for the
    # news), and that make a message a procedure question ("thủ tục", "giấy phép").
    strong_intent_cues: Mapping[str, tuple[Phrase, ...]]
    required_intent_cues: Mapping[str, tuple[Phrase, ...]]
    procedure_cues: tuple[Phrase, ...]
    # Phrases that only make a message a question, left out of the ranking.
    question_phrases: tuple[Phrase, ...]
    # Phrases of the procedures of bodies the records do not cover, by body; and each as
    # typed with diacritics ("bảo tàng" is not "báo tăng").
    outside_records: Mapping[str, tuple[Phrase, ...]]
    outside_marks: Mapping[Phrase, Phrase]

    @classmethod
    def load(cls, path: Path = RANKING_RULES_PATH) -> RankingRules:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)

        def marked(items: Iterable[str]) -> dict[Phrase, Phrase]:
            """Each phrase (folded) with its words as typed with diacritics (mark_key)."""
            return {tuple(folded_words(item)): tuple(mark_key(w) for w in item.split())
                    for item in items}

        def phrases(items: Iterable[str]) -> tuple[Phrase, ...]:
            return tuple(tuple(folded_words(item)) for item in items)

        return cls(
            trigger_marks=marked(t for case in data["special_cases"] for t in case["triggers"]),
            stopwords=tuple(data["stopwords"]),
            level_preference=dict(data["levels"]),
            level_markers=tuple((fold(m["text"]), m["level"]) for m in data["level_markers"]),
            level_marker_penalty=dict(data["level_marker_penalty"]),
            special_cases=tuple(
                SpecialCase(case["name"], phrases(case["markers"]), phrases(case["triggers"]),
                            float(case["penalty"]), float(case["boost"]))
                for case in data["special_cases"]),
            qualifiers=phrases(data["qualifiers"]),
            qualifier_marks=marked(data["qualifiers"]),
            qualifier_penalty=float(data["qualifier_penalty"]),
            asked_qualifiers=phrases(data["asked_qualifiers"]),
            asked_qualifier_penalty=float(data["asked_qualifier_penalty"]),
            audience_preference=dict(data["audience"]),
            negations=tuple((n["intent"], n["becomes"],
                             frozenset(w for word in n["words"] for w in folded_words(word)))
                            for n in data["negations"]),
            strong_intent_cues={intent: phrases(words) for intent, words
                                in data["intent_cues"]["strong"].items()},
            required_intent_cues={intent: phrases(words) for intent, words
                                  in data["intent_cues"]["required"].items()},
            procedure_cues=phrases(data["intent_cues"]["procedure"]),
            question_phrases=tuple(sorted(phrases(data["question_phrases"]), key=len,
                                          reverse=True)),
            outside_records={body: phrases(words)
                             for body, words in data["outside_records"].items()},
            outside_marks=marked(w for words in data["outside_records"].values() for w in words),
        )


@dataclass(frozen=True)
class RankedProcedure:
    code: str
    name: str
    score: float
    # Share of the question's words (by weight and rarity) found in this record.
    query_coverage: float
    # Share of the record's name (by rarity) that the question says.
    name_coverage: float
    # How much the question says of this record in absolute terms: the summed rarity of
    # its words found in the name (a long question is not less about a procedure).
    matched_weight: float
    # The name without its level marker: level variants of one procedure share it.
    family: str

    @classmethod
    def certain(cls, code: str, name: str) -> RankedProcedure:
        """A record named outright (by its code, an officer's link, the conversation)."""
        return cls(code, name, 1.0, 1.0, 1.0, 99.0, name)


@dataclass
class _Doc:
    code: str
    name: str
    family: str
    words: tuple[str, ...]
    head_length: int
    marked: frozenset[str]
    # Words of the name outside parentheses (stopwords aside), with their weight in coverage.
    content_words: Mapping[str, float]
    field_words: frozenset[str]
    prior: float
    special_cases: frozenset[str]
    qualifiers: Mapping[Phrase, int]
    # Every qualifier anywhere in the name, folded.
    all_qualifiers: frozenset[Phrase]


def split_name(name: str) -> tuple[str, str, str]:
    """(what the procedure is, the separator, whom or which case it is for)."""
    match = _SECONDARY_RE.search(name)
    if match is None:
        return name, "", ""
    return name[:match.start()], match.group(0), name[match.end():]


def count_phrase(words: Sequence[str], phrase: Phrase) -> int:
    """How many times the phrase stands in the words (on the start-up path: kept cheap)."""
    if not phrase:
        return 0
    first = phrase[0]
    if len(phrase) == 1:
        return words.count(first)
    if first not in words:
        return 0
    size = len(phrase)
    return sum(1 for i, word in enumerate(words)
               if word == first and tuple(words[i:i + size]) == phrase)


def contains_phrase(words: Sequence[str], phrase: Phrase) -> bool:
    return count_phrase(words, phrase) > 0


def longest_common_run(query: Sequence[str], name: Sequence[str]) -> int:
    """Length of the longest run of consecutive query words found consecutively in the name."""
    positions: dict[str, list[int]] = {}
    for j, word in enumerate(name):
        positions.setdefault(word, []).append(j)
    best = 0
    previous: dict[int, int] = {}
    for word in query:
        current = {j: previous.get(j - 1, 0) + 1 for j in positions.get(word, ())}
        if current:
            best = max(best, max(current.values()))
        previous = current
    return best


class ProcedureIndex:
    def __init__(self, records: Iterable[Mapping], rules: RankingRules,
                 expansions: Mapping[str, str] | None = None) -> None:
        """`expansions` maps an abbreviation used in names ("bhyt") to its words ("bảo hiểm y
        tế"), which are indexed beside it so that either form finds the name."""
        self.rules = rules
        self._expansions = {fold(short): _TOKEN_RE.findall(words)
                            for short, words in (expansions or {}).items()}
        self._trigger_marks = rules.trigger_marks
        self._stopwords = frozenset(w for s in rules.stopwords for w in folded_words(s))
        self._docs: list[_Doc] = []
        self._doc_ids: dict[str, int] = {}
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._field_postings: dict[str, list[int]] = defaultdict(list)
        self.word_frequencies: Counter[str] = Counter()
        for record in records:
            self._add(record)
        count = max(len(self._docs), 1)
        self._idf = {term: math.log(1 + (count - len(posts) + 0.5) / (len(posts) + 0.5))
                     for term, posts in self._postings.items()}
        self._max_idf = math.log(1 + (count + 0.5) / 0.5)
        self._average_length = sum(doc.head_length for doc in self._docs) / count
        self._build_arrays()

    def _build_arrays(self) -> None:
        """The postings as arrays, so that a question's words are scored over all records
        at once (an inverted index scanned by numpy, as bm25s does with sparse matrices):
        the cost grows with the records that share a word with the question, in C."""
        lengths = np.array([doc.head_length for doc in self._docs], dtype=np.float64)
        ratio = lengths / self._average_length if self._docs else lengths
        # A word is in a name once or not at all (tf 0 or 1): BM25's saturation is per record.
        self._saturation = (BM25_K1 + 1) / (1 + BM25_K1 * (1 - BM25_B + BM25_B * ratio))
        self._post_ids = {term: np.fromiter((doc_id for doc_id, _ in posts), dtype=np.int32,
                                            count=len(posts))
                          for term, posts in self._postings.items()}
        self._field_ids = {term: np.array(ids, dtype=np.int32)
                           for term, ids in self._field_postings.items()}
        # Field words also in the name count there already; the others add to what is matched.
        self._field_outside_name = {
            term: np.array([term not in self._docs[i].words for i in ids], dtype=bool)
            for term, ids in self._field_postings.items()}
        marked: dict[str, list[int]] = defaultdict(list)
        for doc_id, doc in enumerate(self._docs):
            for mark in doc.marked:
                marked[mark].append(doc_id)
        self._marked_ids = {mark: np.array(ids, dtype=np.int32) for mark, ids in marked.items()}
        # The lists they were made from are not needed again.
        self._postings.clear()
        self._field_postings.clear()

    def __len__(self) -> int:
        return len(self._docs)

    @property
    def vocabulary(self) -> set[str]:
        return set(self.word_frequencies)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._max_idf)

    def prior_of(self, code: str) -> float:
        """The ranking's preference for a record by its level and audience (ranking.yaml)."""
        doc_id = self._doc_ids.get(code)
        return self._docs[doc_id].prior if doc_id is not None else 0.0

    def _add(self, record: Mapping) -> None:
        name = record["name"]
        raw_words = self._expand(_TOKEN_RE.findall(_EXCLUSION_RE.sub(" ", name)))
        words = tuple(fold(word) for word in raw_words)
        first_clause = _TOKEN_RE.findall(re.split(r"[,;(]", name, maxsplit=1)[0])
        marked_start = [mark_key(word) for word in first_clause[:QUALIFIER_WORDS]]
        content = self._content_weights(name) or {w: 1.0 for w in words if w not in self._stopwords}
        doc_id = len(self._docs)
        self._doc_ids[record["code"]] = doc_id
        # A word said twice in a name ("đăng ký ... đăng ký") is no more about it: tf is 0 or 1.
        terms = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
        for term in terms:
            self._postings[term].append((doc_id, 1))
        field_words = frozenset(folded_words(record.get("field") or ""))
        for word in field_words:
            self._field_postings[word].append(doc_id)
        self.word_frequencies.update(set(words) | field_words)
        self._docs.append(_Doc(
            code=record["code"], name=name,
            family=self._family(name),
            words=words,
            head_length=len(folded_words(split_name(_PARENTHESES_RE.sub(" ", name))[0])),
            marked=frozenset(mark_key(word) for word in raw_words),
            content_words=content,
            field_words=field_words,
            prior=self._prior(record),
            special_cases=frozenset(case.name for case in self.rules.special_cases
                                    if any(contains_phrase(words, m) for m in case.markers)),
            qualifiers={q: n for q in self.rules.qualifiers
                        if (n := count_phrase(marked_start, self.rules.qualifier_marks[q]))},
            all_qualifiers=frozenset(q for q in self.rules.asked_qualifiers
                                     if contains_phrase(words, q)),
        ))

    def _expand(self, raw_words: list[str]) -> list[str]:
        expanded: list[str] = []
        for word in raw_words:
            expanded.append(word)
            expanded.extend(self._expansions.get(fold(word), ()))
        return expanded

    def _content_weights(self, name: str) -> dict[str, float]:
        primary, _, secondary = split_name(name)
        weights = {w: SECONDARY_SHARE for w in folded_words(_PARENTHESES_RE.sub(" ", secondary))}
        weights.update({w: 1.0 for w in folded_words(primary)})
        return {w: v for w, v in weights.items() if w not in self._stopwords}

    def _marker_level(self, folded_name: str) -> str | None:
        for marker, level in self.rules.level_markers:
            if f"({marker}" in folded_name:
                return level
        return None

    def _family(self, name: str) -> str:
        """The name without what only tells a level variant apart: its level marker, in
        parentheses or not ("... giám định viên tư pháp cấp tỉnh"), and a code in brackets."""
        plain = _CODE_IN_BRACKETS_RE.sub(" ", self._strip_level_markers(name))
        folded = " ".join(folded_words(plain))
        for marker, _ in self.rules.level_markers:
            folded = re.sub(rf"(?:^| )(?:thuc hien )?(?:tai |o )?{re.escape(marker)}$", "", folded)
        return folded.strip()

    def _strip_level_markers(self, name: str) -> str:
        folded = fold(name)
        for marker, _ in self.rules.level_markers:
            start = folded.find(f"({marker}")
            if start >= 0:
                end = folded.find(")", start)
                return name[:start] + (name[end + 1:] if end >= 0 else "")
        return name

    def _prior(self, record: Mapping) -> float:
        levels = record.get("levels") or []
        prior = max((self.rules.level_preference.get(level, 0.0) for level in levels),
                    default=0.0)
        marker_level = self._marker_level(fold(record["name"]))
        if marker_level is not None:
            prior = self.rules.level_preference.get(marker_level, prior)
            prior += self.rules.level_marker_penalty.get(marker_level, 0.0)
        audience = record.get("audience") or ""
        prior += max((weight for who, weight in self.rules.audience_preference.items()
                      if who in audience), default=0.0)
        return prior

    def search(self, query: Query, limit: int = 10) -> list[RankedProcedure]:
        """The best records for a query, best first.

        A question typed without diacritics keeps its function words ("can" may be "căn" as
        well as "cần"); they still match, but how much of the question a record explains is
        measured on the other words, as it is for a question with diacritics."""
        if query.is_empty():
            return []
        scores, matched = self._word_scores(query)
        touched = np.flatnonzero(scores)
        if not len(touched):
            return []
        best_possible = sum(t.weight * self.idf(t.word) * (BM25_K1 + 1) for t in query.terms)
        query_weight = sum(t.weight * self.idf(t.word) for t in query.terms
                           if query.marked or t.word not in self._stopwords) or 1e-9
        applicable = self._applicable_special_cases(query)
        query_words = set(query.words)
        content_sequence = [t.word for t in query.terms]
        qualifiers_said = self._qualifiers_said(query)
        if len(touched) > RESCORED:
            touched = touched[np.argpartition(-scores[touched], RESCORED - 1)[:RESCORED]]
        ranked = []
        for doc_id in touched.tolist():
            doc = self._docs[doc_id]
            run = longest_common_run(content_sequence, doc.words)
            score = float(scores[doc_id]) / best_possible
            if run > 1:
                score += RUN_WEIGHT * (run - 1) / max(len(content_sequence) - 1, 1)
            name_coverage = self._name_coverage(doc, query_words)
            score += NAME_COVERAGE_WEIGHT * name_coverage
            score -= self._missing_qualifiers(doc, qualifiers_said)
            weight = float(matched[doc_id])
            coverage = min(weight / query_weight, 1.0)
            score += doc.prior + self._special_case_shift(doc, applicable, coverage)
            ranked.append(RankedProcedure(doc.code, doc.name, score, coverage, name_coverage,
                                          weight, doc.family))
        ranked.sort(key=lambda r: (-r.score, r.code))
        return ranked[:limit]

    def _word_scores(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """BM25 per record, and the weight of the question's words each record contains."""
        scores = np.zeros(len(self._docs))
        matched = np.zeros(len(self._docs))
        has_mark = np.zeros(len(self._docs), dtype=bool)
        for term in query.terms:
            idf = self.idf(term.word)
            ids = self._post_ids.get(term.word)
            if ids is not None:
                share = 1.0
                if term.marked is not None:
                    # Typed with diacritics: a name with the word otherwise marked counts less.
                    has_mark[:] = False
                    marked_ids = self._marked_ids.get(term.marked)
                    if marked_ids is not None:
                        has_mark[marked_ids] = True
                    share = np.where(has_mark[ids], 1.0, MISMARKED_SHARE)
                scores[ids] += share * term.weight * idf * self._saturation[ids]
                matched[ids] += share * term.weight * idf
            field_ids = self._field_ids.get(term.word)
            if field_ids is not None:
                scores[field_ids] += FIELD_WEIGHT * term.weight * idf
                outside = field_ids[self._field_outside_name[term.word]]
                matched[outside] += 0.5 * term.weight * idf
        for pair in query.pairs:
            ids = self._post_ids.get(pair.word)
            if ids is not None:
                scores[ids] += (PAIR_WEIGHT * pair.weight * self.idf(pair.word)
                                * self._saturation[ids])
        return scores, matched

    def _name_coverage(self, doc: _Doc, query_words: set[str]) -> float:
        total = sum(self.idf(word) * share for word, share in doc.content_words.items())
        if not total:
            return 0.0
        said = sum(self.idf(word) * share for word, share in doc.content_words.items()
                   if word in query_words)
        return said / total

    def _qualifiers_said(self, query: Query) -> dict[Phrase, int]:
        """How many times the question says each qualifier, with diacritics if it has them."""
        def said(phrase: Phrase) -> int:
            typed = (count_phrase(query.marked, self.rules.qualifier_marks[phrase])
                     if query.marked else count_phrase(query.original, phrase))
            return max(typed, count_phrase(query.rewritten, phrase))

        return {phrase: said(phrase) for phrase in self.rules.qualifiers}

    def _missing_qualifiers(self, doc: _Doc, said: Mapping[Phrase, int]) -> float:
        """Penalty for each "đổi", "lại"... in the name that the question did not say as often
        ("lái" and "lại" fold alike, so counts are compared, not mere presence), and for each
        asked-for qualifier the name lacks."""
        missing = sum(1 for phrase, count in doc.qualifiers.items() if said[phrase] < count)
        unanswered = sum(1 for phrase in self.rules.asked_qualifiers
                         if said.get(phrase) and phrase not in doc.all_qualifiers)
        return (self.rules.qualifier_penalty * missing
                + self.rules.asked_qualifier_penalty * unanswered)

    def _applicable_special_cases(self, query: Query) -> frozenset[str]:
        """Special cases the question speaks of: by a trigger phrase, or by the citizen using
        all the words of a marker in any order ("đăng ký kết hôn lại" says "đăng ký lại")."""
        said = set(query.original)
        return frozenset(
            case.name for case in self.rules.special_cases
            if any(self._says(query, trigger) for trigger in case.triggers)
            or any(len(m) > 1 and said.issuperset(m) for m in case.markers))

    def _says(self, query: Query, trigger: Phrase) -> bool:
        """Whether the question says a trigger. Without diacritics a one-word trigger that is
        also a word of the names is too ambiguous to count ("han" is "hạn" more often than
        "Hàn"); with diacritics it is compared with them."""
        if query.marked:
            marked = self._trigger_marks[trigger]
            return (contains_phrase(query.marked, marked)
                    or contains_phrase(query.rewritten, trigger))
        if len(trigger) == 1 and trigger[0] in self.word_frequencies:
            return False
        return contains_phrase(query.original, trigger) or contains_phrase(query.rewritten, trigger)

    def _special_case_shift(self, doc: _Doc, applicable: frozenset[str],
                            coverage: float) -> float:
        """The special cases' push and pull. A push is given in full only to a record that
        explains a good part of the question: "nhập muối từ Ấn Độ" says a foreign country,
        which must not lift any procedure for foreigners above the one for salt."""
        shift = 0.0
        for case in self.rules.special_cases:
            if case.name in doc.special_cases:
                if case.name in applicable:
                    shift += case.boost * min(1.0, coverage / FULL_BOOST_COVERAGE)
                else:
                    shift += case.penalty
        return shift
