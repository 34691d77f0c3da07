"""Scoring of a question file (bot/evaluation.py) with a fake `understand`, so that the
figures depend only on the scoring rules, not on the ranking."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.evaluation import Question, Report, evaluate, load_questions, offered_codes
from knowledge.nlu.normalize import fold, has_diacritics
from knowledge.nlu.understand import OUT_OF_SCOPE, PROCEDURE, Understanding


@dataclass(frozen=True)
class Offered:
    """What scoring reads of a ranked procedure: its code."""

    code: str
    name: str = ""


def procedure(text: str, code: str | None, *alternatives: str,
              aspect: str | None = "overview") -> Understanding:
    return Understanding(text, PROCEDURE, Offered(code) if code else None, aspect,
                         tuple(Offered(alt) for alt in alternatives))


def fake(answers: dict[str, Understanding]):
    """An `understand` that answers from a table, and out of scope for anything else."""
    def understand(text: str) -> Understanding:
        return answers.get(text) or Understanding(text, OUT_OF_SCOPE)
    return understand


def tally(report: Report, measure: str, group: str = "as written") -> tuple[int, int]:
    scores = report.groups[group].measures[measure]
    return scores.hits, scores.trials


# --- offered list ---------------------------------------------------------------------------

def test_offered_codes_are_the_answer_then_the_alternatives() -> None:
    assert offered_codes(procedure("q", "A", "B", "C")) == ["A", "B", "C"]


def test_offered_codes_of_a_choice_are_the_choices_in_order() -> None:
    assert offered_codes(procedure("q", None, "B", "A")) == ["B", "A"]


# --- top-1 and top-3 ------------------------------------------------------------------------

def test_top1_counts_the_answer_only() -> None:
    questions = [Question("hit", PROCEDURE, ("A",)), Question("miss", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"hit": procedure("hit", "A", "B"),
                                       "miss": procedure("miss", "B", "A")}))
    assert tally(report, "top1") == (1, 2)
    assert tally(report, "top3") == (2, 2)


def test_top1_counts_the_first_choice_when_the_bot_asks_which() -> None:
    questions = [Question("q", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"q": procedure("q", None, "A", "B", "C")}))
    assert tally(report, "top1") == (1, 1)


def test_top3_looks_at_the_first_three_offered_only() -> None:
    questions = [Question("third", PROCEDURE, ("A",)), Question("fourth", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"third": procedure("third", None, "B", "C", "A"),
                                       "fourth": procedure("fourth", None, "B", "C", "D", "A")}))
    assert tally(report, "top1") == (0, 2)
    assert tally(report, "top3") == (1, 2)


def test_any_of_the_listed_codes_counts() -> None:
    questions = [Question("q", PROCEDURE, ("A-commune", "A-province"))]
    report = evaluate(questions, fake({"q": procedure("q", "A-province")}))
    assert tally(report, "top1") == (1, 1)


def test_nothing_offered_is_a_miss() -> None:
    questions = [Question("q", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({}))
    assert tally(report, "top1") == (0, 1)
    assert tally(report, "top3") == (0, 1)


def test_questions_without_codes_are_not_ranked() -> None:
    questions = [Question("hello", "smalltalk"), Question("q", PROCEDURE)]
    report = evaluate(questions, fake({"q": procedure("q", "A")}))
    assert tally(report, "top1") == (0, 0)
    assert tally(report, "top3") == (0, 0)


def test_a_wrong_answer_is_listed_among_the_misses() -> None:
    questions = [Question("q", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"q": procedure("q", "B")}))
    assert any("'q'" in line and "A" in line for line in report.groups["as written"].misses)


# --- aspect ---------------------------------------------------------------------------------

def test_aspect_is_scored_only_where_the_question_gives_one() -> None:
    questions = [Question("fee", PROCEDURE, ("A",), "fee"),
                 Question("where", PROCEDURE, ("A",), "where"),
                 Question("none", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"fee": procedure("fee", "A", aspect="fee"),
                                       "where": procedure("where", "A", aspect="documents"),
                                       "none": procedure("none", "A", aspect="duration")}))
    assert tally(report, "aspect") == (1, 2)


# --- intent and out of scope ----------------------------------------------------------------

def test_intent_counts_every_question() -> None:
    questions = [Question("hello", "smalltalk"), Question("q", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"hello": Understanding("hello", "smalltalk"),
                                       "q": procedure("q", "A")}))
    assert tally(report, "intent") == (2, 2)


def test_out_of_scope_precision_and_recall() -> None:
    questions = [
        Question("weather", OUT_OF_SCOPE),          # said out of scope: right
        Question("football", OUT_OF_SCOPE),         # answered as a procedure: missed
        Question("residence", PROCEDURE, ("A",)),   # said out of scope: wrong
        Question("hello", "smalltalk"),             # understood: not counted
    ]
    report = evaluate(questions, fake({
        "football": procedure("football", "B"),
        "hello": Understanding("hello", "smalltalk"),
    }))
    # Said out of scope twice (weather, residence), once rightly.
    assert tally(report, "oos_precision") == (1, 2)
    # Two out-of-scope questions, one recognised.
    assert tally(report, "oos_recall") == (1, 2)


def test_out_of_scope_measures_have_no_trials_without_out_of_scope() -> None:
    report = evaluate([Question("q", PROCEDURE, ("A",))], fake({"q": procedure("q", "A")}))
    assert report.groups["as written"].measures["oos_precision"].rate is None
    assert report.groups["as written"].measures["oos_recall"].rate is None


# --- groups ---------------------------------------------------------------------------------

def test_each_question_is_asked_again_without_diacritics() -> None:
    asked: list[str] = []

    def understand(text: str) -> Understanding:
        asked.append(text)
        return Understanding(text, OUT_OF_SCOPE)

    originals = ["Đăng ký tạm trú ở đâu?", "xin chào"]
    evaluate([Question(originals[0], PROCEDURE, ("A",)), Question(originals[1], "smalltalk")],
             understand)
    assert asked[0::2] == originals
    second_pass = asked[1::2]
    assert not any(has_diacritics(text) for text in second_pass)
    assert [fold(text) for text in second_pass] == [fold(text) for text in originals]


def test_diacritics_removed_group_scores_the_second_pass() -> None:
    # The fake understands the question only with its diacritics.
    questions = [Question("đăng ký tạm trú", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"đăng ký tạm trú": procedure("đăng ký tạm trú", "A")}))
    assert tally(report, "top1", "as written") == (1, 1)
    assert tally(report, "top1", "diacritics removed") == (0, 1)


def test_questions_are_split_by_whether_they_were_written_with_diacritics() -> None:
    questions = [Question("đăng ký tạm trú", PROCEDURE, ("A",)),
                 Question("dang ky thuong tru", PROCEDURE, ("B",)),
                 Question("dang ky khai tu", PROCEDURE, ("C",))]
    report = evaluate(questions, fake({}))
    assert report.count == 3
    assert tally(report, "intent", "with diacritics") == (0, 1)
    assert tally(report, "intent", "without diacritics") == (0, 2)
    assert tally(report, "intent", "as written") == (0, 3)


def test_table_names_every_measure_and_the_groups() -> None:
    report = evaluate([Question("q", PROCEDURE, ("A",), "fee")],
                      fake({"q": procedure("q", "A", aspect="fee")}))
    table = report.table()
    assert table.splitlines()[0] == "1 questions"
    for name in ("intent", "top1", "top3", "aspect", "oos_precision", "oos_recall",
                 "as written", "diacritics removed"):
        assert name in table
    assert "100.0% (1/1)" in table


# --- question files -------------------------------------------------------------------------

def test_load_questions_reads_the_shared_format(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(
        '- {q: "tạm trú ở đâu", intent: procedure, codes: ["1.004194"], aspect: where}\n'
        '- {q: "xin chào", intent: smalltalk}\n', encoding="utf-8")
    assert load_questions(path) == [
        Question("tạm trú ở đâu", PROCEDURE, ("1.004194",), "where"),
        Question("xin chào", "smalltalk"),
    ]


def test_load_questions_of_an_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert load_questions(path) == []


@pytest.mark.parametrize(("content", "message"), [
    ("q: x\nintent: smalltalk\n", "expected a list of questions"),
    ("- {q: x}\n", "item 1 needs 'q' and 'intent'"),
    ("- {q: x, intent: smalltalk}\n- {intent: smalltalk}\n", "item 2 needs 'q' and 'intent'"),
])
def test_load_questions_names_the_file_and_the_item(tmp_path: Path, content: str,
                                                    message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        load_questions(path)
    assert str(path) in str(caught.value)


# --- confident wrong answers, needless choices, not in the records --------------------------

def test_a_named_wrong_procedure_is_a_confident_wrong_answer_a_choice_is_not() -> None:
    questions = [Question("named", PROCEDURE, ("A",)), Question("choice", PROCEDURE, ("A",)),
                 Question("right-choice", PROCEDURE, ("A",))]
    report = evaluate(questions, fake({"named": procedure("named", "B"),
                                       "choice": procedure("choice", None, "B", "A"),
                                       "right-choice": procedure("right-choice", None, "A")}))
    assert tally(report, "confident_wrong") == (1, 3)
    assert tally(report, "needless_choice") == (1, 3)


def test_questions_about_procedures_the_records_lack() -> None:
    questions = [Question("a", PROCEDURE, (), not_in_data=True),
                 Question("b", PROCEDURE, (), not_in_data=True)]
    said = Understanding("a", PROCEDURE, not_in_data=True)
    report = evaluate(questions, fake({"a": said, "b": procedure("b", "X")}))
    assert tally(report, "nid_confident") == (1, 2)
    assert tally(report, "nid_said") == (1, 2)
    assert tally(report, "top1") == (0, 0)


# --- conversations --------------------------------------------------------------------------

def test_conversation_turns_are_scored_by_kind_and_a_switch_that_sticks_is_counted() -> None:
    from bot.evaluation import Conversation, evaluate_conversations

    first = Question("tạm trú", PROCEDURE, ("T",), "overview")
    aspect = Question("mất bao lâu", PROCEDURE, ("T",), "duration", follow="aspect")
    switch = Question("kết hôn", PROCEDURE, ("K",), "overview", follow="switch")
    readings = {"tạm trú": procedure("tạm trú", "T"),
                "mất bao lâu": procedure("mất bao lâu", "T", aspect="duration"),
                "kết hôn": procedure("kết hôn", "T")}
    report = evaluate_conversations(
        [Conversation((first, aspect)), Conversation((first, switch))],
        lambda: lambda text: readings.get(fold(text)) or readings.get(text))
    scores = report.groups["as written"].measures
    assert (scores["follow_aspect"].hits, scores["follow_aspect"].trials) == (1, 1)
    assert (scores["follow_switch"].hits, scores["follow_switch"].trials) == (0, 1)
    assert (scores["switch_stuck"].hits, scores["switch_stuck"].trials) == (1, 1)
    assert (scores["first_turn"].hits, scores["first_turn"].trials) == (2, 2)
