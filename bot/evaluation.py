"""Scores the bot's understanding on a question file (the format of shared/eval).

Each question is asked as written and again with every diacritic removed. For procedure
questions the bot's offered list is what it answers with followed by the alternatives it
offers (or, when it asks which one, the choices in order): top-1 is its first entry, top-3
any of the first three. Besides hits, the scoring counts the two ways a procedure answer goes
wrong for a citizen: a confident wrong procedure, and a choice asked when the first choice was
right. Questions marked `not_in_data: true` are about procedures the records do not hold: the
bot should say so rather than name one.

A file may also hold conversations, each a list of `turns` in the same format; the second
turn's `follow` says what it is (`aspect`: the same procedure, another part; `qualifier`: the
sibling procedure for a case; `switch`: a question of its own). Conversations are played
through the dialogue as one citizen each, so that a turn is read against the ones before.

Example of a file:
    - {q: "đăng ký tạm trú cần giấy gì", intent: procedure, codes: ["1.004194"], aspect: documents}
    - {q: "đăng ký nghĩa vụ quân sự", intent: procedure, codes: [], not_in_data: true}
    - turns:
        - {q: "đăng ký tạm trú", intent: procedure, codes: ["1.004194"], aspect: overview}
        - {q: "mất bao lâu", intent: procedure, codes: ["1.004194"], aspect: duration,
           follow: aspect}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.nlu.normalize import fold, has_diacritics
from knowledge.nlu.understand import OUT_OF_SCOPE, Understanding

FOLLOWS = ("aspect", "qualifier", "switch")


@dataclass(frozen=True)
class Question:
    text: str
    intent: str
    codes: tuple[str, ...] = ()
    aspect: str | None = None
    not_in_data: bool = False
    # For a conversation's later turn: aspect, qualifier or switch (see FOLLOWS).
    follow: str | None = None


@dataclass(frozen=True)
class Conversation:
    turns: tuple[Question, ...]


@dataclass(frozen=True)
class EvalFile:
    questions: list[Question]
    conversations: list[Conversation]


def load_eval_file(path: Path) -> EvalFile:
    """Questions and conversations of a file; a clear ValueError naming the file and item if
    it is wrong."""
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        reason = getattr(error, "problem", None) or "invalid YAML"
        raise ValueError(f"{where}: {reason}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read: {error}") from error
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a list of questions")
    questions: list[Question] = []
    conversations: list[Conversation] = []
    for number, item in enumerate(items, 1):
        if isinstance(item, dict) and "turns" in item:
            conversations.append(_conversation(path, number, item["turns"]))
        else:
            questions.append(_question(path, str(number), item))
    return EvalFile(questions, conversations)


def load_questions(path: Path) -> list[Question]:
    return load_eval_file(path).questions


def _conversation(path: Path, number: int, turns: object) -> Conversation:
    if not isinstance(turns, list) or len(turns) < 2:
        raise ValueError(f"{path}: item {number}: a conversation needs two or more turns")
    parsed = tuple(_question(path, f"{number} turn {i}", turn)
                   for i, turn in enumerate(turns, 1))
    for i, turn in enumerate(parsed[1:], 2):
        if turn.follow not in FOLLOWS:
            raise ValueError(f"{path}: item {number} turn {i}: follow must be one of "
                             f"{', '.join(FOLLOWS)}")
    return Conversation(parsed)


def _question(path: Path, number: str, item: object) -> Question:
    if not isinstance(item, dict) or "q" not in item or "intent" not in item:
        raise ValueError(f"{path}: item {number} needs 'q' and 'intent'")
    codes = item.get("codes") or []
    if isinstance(codes, str):
        codes = [codes]
    # An unquoted code is read by YAML as a number and loses its trailing zeros.
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ValueError(f"{path}: item {number}: codes must be a list of quoted codes, "
                         f'e.g. ["1.004222"]')
    return Question(str(item["q"]), str(item["intent"]), tuple(codes), item.get("aspect"),
                    bool(item.get("not_in_data")), item.get("follow"))


def offered_codes(understanding: Understanding) -> list[str]:
    offered = []
    if understanding.procedure is not None:
        offered.append(understanding.procedure.code)
    offered.extend(alt.code for alt in understanding.alternatives)
    return offered


@dataclass
class Tally:
    """Hits over trials for one measure."""

    hits: int = 0
    trials: int = 0

    def add(self, hit: bool) -> None:
        self.hits += int(hit)
        self.trials += 1

    @property
    def rate(self) -> float | None:
        return self.hits / self.trials if self.trials else None


def _table(title: str, groups: dict[str, Scores | ConversationScores],
           measures: Sequence[str], notes: dict[str, str]) -> str:
    names = list(groups)
    header = f"{'measure':<18}" + "".join(f"{name:>26}" for name in names)
    lines = [title, header, "-" * len(header)]
    for measure in measures:
        row = f"{measure:<18}"
        for name in names:
            tally = groups[name].measures[measure]
            cell = "—" if tally.rate is None else \
                f"{100 * tally.rate:5.1f}% ({tally.hits}/{tally.trials})"
            row += f"{cell:>26}"
        lines.append(row)
    lines.extend(f"  {measure}: {note}" for measure, note in notes.items())
    return "\n".join(lines)


def _as_dict(groups: dict[str, Scores | ConversationScores]) -> dict:
    return {name: {m: {"hits": t.hits, "trials": t.trials, "rate": t.rate}
                   for m, t in scores.measures.items()}
            for name, scores in groups.items()}


# --- single questions -----------------------------------------------------------------------

MEASURES = ("intent", "top1", "top3", "aspect", "oos_precision", "oos_recall",
            "confident_wrong", "needless_choice", "nid_confident", "nid_said")
NOTES = {
    "confident_wrong": "a procedure named, and wrong (lower is better)",
    "needless_choice": "asked which, though the first choice was right (lower is better)",
    "nid_confident": "not-in-data questions given a procedure (lower is better)",
    "nid_said": "not-in-data questions told so",
}


@dataclass
class Scores:
    measures: dict[str, Tally] = field(default_factory=lambda: {m: Tally() for m in MEASURES})
    misses: list[str] = field(default_factory=list)

    def add(self, question: Question, understanding: Understanding) -> None:
        m = self.measures
        m["intent"].add(understanding.intent == question.intent)
        if question.codes:
            offered = offered_codes(understanding)
            m["top1"].add(bool(offered) and offered[0] in question.codes)
            m["top3"].add(any(code in question.codes for code in offered[:3]))
            named = understanding.procedure
            m["confident_wrong"].add(named is not None and named.code not in question.codes)
            m["needless_choice"].add(named is None and bool(offered)
                                     and offered[0] in question.codes)
            if not (offered and offered[0] in question.codes):
                self.misses.append(f"procedure {question.text!r}: expected {list(question.codes)}"
                                   f", got {offered[:3]}")
        if question.not_in_data:
            m["nid_confident"].add(understanding.procedure is not None)
            m["nid_said"].add(understanding.not_in_data)
            if understanding.procedure is not None:
                self.misses.append(f"not in data {question.text!r}: got "
                                   f"{understanding.procedure.code}")
        if question.aspect:
            m["aspect"].add(understanding.aspect == question.aspect)
        if understanding.intent == OUT_OF_SCOPE:
            m["oos_precision"].add(question.intent == OUT_OF_SCOPE)
        if question.intent == OUT_OF_SCOPE:
            m["oos_recall"].add(understanding.intent == OUT_OF_SCOPE)
        if understanding.intent != question.intent:
            self.misses.append(f"intent {question.text!r}: expected {question.intent}, "
                               f"got {understanding.intent}")


@dataclass
class Report:
    # Keys: "as written", "with diacritics", "without diacritics", "diacritics removed".
    groups: dict[str, Scores]
    count: int

    def to_dict(self) -> dict:
        return _as_dict(self.groups)

    def table(self) -> str:
        return _table(f"{self.count} questions", self.groups, MEASURES, NOTES)


def evaluate(questions: Sequence[Question],
             understand: Callable[[str], Understanding]) -> Report:
    groups = {name: Scores() for name in
              ("as written", "with diacritics", "without diacritics", "diacritics removed")}
    for question in questions:
        understanding = understand(question.text)
        groups["as written"].add(question, understanding)
        subgroup = "with diacritics" if has_diacritics(question.text) else "without diacritics"
        groups[subgroup].add(question, understanding)
        groups["diacritics removed"].add(question, understand(fold(question.text)))
    return Report(groups, len(questions))


def misses(report: Report, group: str = "as written") -> Iterable[str]:
    return report.groups[group].misses


# --- conversations --------------------------------------------------------------------------

CONVERSATION_MEASURES = ("first_turn", "follow_up", "follow_aspect", "follow_qualifier",
                         "follow_switch", "switch_stuck")
CONVERSATION_NOTES = {
    "follow_up": "later turns answered with the right procedure and aspect (or intent)",
    "switch_stuck": "a question of its own read against the earlier procedure (lower is better)",
}
# A citizen of their own for each conversation: returns how the bot read each message.
Citizen = Callable[[str], Understanding | None]


def turn_right(question: Question, understanding: Understanding | None) -> bool:
    """Answered as expected: the intent, and for a procedure the procedure named (not a
    choice offered) and the aspect asked."""
    if understanding is None or understanding.intent != question.intent:
        return False
    if question.codes and (understanding.procedure is None
                           or understanding.procedure.code not in question.codes):
        return False
    return not (question.aspect and question.codes and understanding.aspect != question.aspect)


@dataclass
class ConversationScores:
    measures: dict[str, Tally] = field(
        default_factory=lambda: {m: Tally() for m in CONVERSATION_MEASURES})
    misses: list[str] = field(default_factory=list)

    def add(self, conversation: Conversation, readings: Sequence[Understanding | None]) -> None:
        m = self.measures
        first = conversation.turns[0]
        m["first_turn"].add(turn_right(first, readings[0]))
        for turn, reading in zip(conversation.turns[1:], readings[1:], strict=True):
            right = turn_right(turn, reading)
            m["follow_up"].add(right)
            m[f"follow_{turn.follow}"].add(right)
            if turn.follow == "switch":
                m["switch_stuck"].add(_stuck(first, turn, reading))
            if not right:
                got = (None if reading is None else
                       (reading.intent, reading.procedure.code if reading.procedure else None,
                        reading.aspect))
                self.misses.append(f"{turn.follow} {first.text!r} → {turn.text!r}: expected "
                                   f"{turn.intent} {list(turn.codes)} {turn.aspect}, got {got}")


def _stuck(first: Question, turn: Question, reading: Understanding | None) -> bool:
    if reading is None:
        return False
    if reading.context is not None:
        return True
    named = reading.procedure.code if reading.procedure else None
    return named is not None and named in first.codes and named not in turn.codes


@dataclass
class ConversationReport:
    # Keys: "as written", "diacritics removed".
    groups: dict[str, ConversationScores]
    count: int

    def to_dict(self) -> dict:
        return _as_dict(self.groups)

    def table(self) -> str:
        return _table(f"{self.count} conversations", self.groups, CONVERSATION_MEASURES,
                      CONVERSATION_NOTES)


def evaluate_conversations(conversations: Sequence[Conversation],
                           new_citizen: Callable[[], Citizen]) -> ConversationReport:
    """Each conversation played as written, then again with every diacritic removed, each
    time by a new citizen."""
    groups = {"as written": ConversationScores(), "diacritics removed": ConversationScores()}
    for conversation in conversations:
        for name, form in (("as written", str), ("diacritics removed", fold)):
            citizen = new_citizen()
            readings = [citizen(form(turn.text)) for turn in conversation.turns]
            groups[name].add(conversation, readings)
    return ConversationReport(groups, len(conversations))
