"""Scores the bot's understanding on a question file (the format of shared/eval).

Each question is asked as written and again with every diacritic removed. For procedure
questions the bot's offered list is what it answers with followed by the alternatives it
offers (or, when it asks which one, the choices in order): top-1 is its first entry, top-3
any of the first three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.normalize import fold, has_diacritics
from knowledge.understand import OUT_OF_SCOPE, Understanding


@dataclass(frozen=True)
class Question:
    text: str
    intent: str
    codes: tuple[str, ...] = ()
    aspect: str | None = None


def load_questions(path: Path) -> list[Question]:
    """The questions of a file; a clear ValueError naming the file and item if it is wrong."""
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
    return [_question(path, number, item) for number, item in enumerate(items, 1)]


def _question(path: Path, number: int, item: object) -> Question:
    if not isinstance(item, dict) or "q" not in item or "intent" not in item:
        raise ValueError(f"{path}: item {number} needs 'q' and 'intent'")
    codes = item.get("codes") or []
    if isinstance(codes, str):
        codes = [codes]
    # An unquoted code is read by YAML as a number and loses its trailing zeros.
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ValueError(f"{path}: item {number}: codes must be a list of quoted codes, "
                         f'e.g. ["1.004222"]')
    return Question(str(item["q"]), str(item["intent"]), tuple(codes), item.get("aspect"))


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


MEASURES = ("intent", "top1", "top3", "aspect", "oos_precision", "oos_recall")


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
            if not (offered and offered[0] in question.codes):
                self.misses.append(f"procedure {question.text!r}: expected {list(question.codes)}"
                                   f", got {offered[:3]}")
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
    # Keys: "as written", "as written, with diacritics", "as written, without diacritics",
    # "diacritics removed".
    groups: dict[str, Scores]
    count: int

    def to_dict(self) -> dict:
        return {name: {m: {"hits": t.hits, "trials": t.trials, "rate": t.rate}
                       for m, t in scores.measures.items()}
                for name, scores in self.groups.items()}

    def table(self) -> str:
        names = list(self.groups)
        header = f"{'measure':<16}" + "".join(f"{name:>26}" for name in names)
        lines = [f"{self.count} questions", header, "-" * len(header)]
        for measure in MEASURES:
            row = f"{measure:<16}"
            for name in names:
                tally = self.groups[name].measures[measure]
                cell = "—" if tally.rate is None else \
                    f"{100 * tally.rate:5.1f}% ({tally.hits}/{tally.trials})"
                row += f"{cell:>26}"
            lines.append(row)
        return "\n".join(lines)


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
