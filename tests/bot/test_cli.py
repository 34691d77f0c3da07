"""The command line (`python -m bot ...`), driven through click's CliRunner.

Commands that need the knowledge get the session's already-loaded copy, so that each
invocation does not load and index it again; `kb check` reads a copy of the YAML files under
tmp_path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.evaluation import MEASURES
from knowledge.base import Knowledge
from knowledge.handkept.model import KNOWLEDGE_DIR
from knowledge.handkept.schema import FAQ_FILE, HANDKEPT_FILES

JSON_KEYS = {"intent", "procedure", "aspect", "alternatives", "text"}
TEMPORARY_RESIDENCE = "1.004194"


@pytest.fixture(autouse=True)
def loaded_once(monkeypatch: pytest.MonkeyPatch, knowledge: Knowledge) -> None:
    """`Knowledge.load()` inside the CLI returns the session's knowledge."""
    monkeypatch.setattr(Knowledge, "load", classmethod(lambda cls, *args, **kwargs: knowledge))


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def assert_procedure_shape(value: object) -> None:
    assert isinstance(value, dict)
    assert set(value) == {"code", "name"}
    assert all(isinstance(v, str) and v for v in value.values())


# --- ask ------------------------------------------------------------------------------------

def test_ask_prints_the_reply_text(t) -> None:
    result = run("ask", "xin chào")
    assert result.exit_code == 0, result.output
    assert t("smalltalk_hello") in result.stdout


def test_ask_prints_the_procedure_answer_with_buttons(t) -> None:
    result = run("ask", "lệ phí đăng ký tạm trú là bao nhiêu")
    assert result.exit_code == 0, result.output
    assert f"Mã thủ tục: {TEMPORARY_RESIDENCE}" in result.stdout
    assert f"[1] {t('aspect.documents')}" in result.stdout


def test_ask_json_prints_one_object_with_the_interface_keys() -> None:
    result = run("ask", "--json", "lệ phí đăng ký tạm trú là bao nhiêu")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert JSON_KEYS <= set(data)
    assert data["intent"] == "procedure"
    assert data["procedure"] == {"code": TEMPORARY_RESIDENCE, "name": "Đăng ký tạm trú"}
    assert data["aspect"] == "fee"
    assert isinstance(data["alternatives"], list)
    for alternative in data["alternatives"]:
        assert_procedure_shape(alternative)
    assert "Đăng ký tạm trú" in data["text"]


def test_ask_json_gives_null_procedure_outside_procedures(t) -> None:
    data = json.loads(run("ask", "--json", "xin chào").stdout)
    assert data["intent"] == "smalltalk"
    assert data["procedure"] is None
    assert data["aspect"] is None
    assert data["alternatives"] == []
    assert data["text"] == t("smalltalk_hello")


def test_ask_json_lists_the_choices_of_an_ambiguous_question() -> None:
    data = json.loads(run("ask", "--json", "giấy phép").stdout)
    assert data["procedure"] is None
    assert len(data["alternatives"]) >= 2
    for alternative in data["alternatives"]:
        assert_procedure_shape(alternative)


def test_ask_jsonl_prints_one_json_line_per_input_line() -> None:
    result = run("ask", "--jsonl", input="xin chào\ndang ky tam tru can giay gi\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert JSON_KEYS <= set(first) and JSON_KEYS <= set(second)
    assert first["intent"] == "smalltalk"
    assert second["procedure"]["code"] == TEMPORARY_RESIDENCE
    assert second["aspect"] == "documents"


def test_ask_jsonl_skips_blank_lines() -> None:
    result = run("ask", "--jsonl", input="\nxin chào\n   \n")
    assert len(result.stdout.splitlines()) == 1


def test_ask_without_a_question_is_a_usage_error() -> None:
    result = run("ask")
    assert result.exit_code == 2
    assert "QUESTION" in result.output


# --- eval -----------------------------------------------------------------------------------

QUESTIONS = """\
- {q: "đăng ký tạm trú cần giấy gì", intent: procedure, codes: ["1.004194"], aspect: documents}
- {q: "xin chào", intent: smalltalk}
- {q: "kết quả bóng đá tối qua", intent: out_of_scope}
"""


def test_eval_prints_the_table_of_measures(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code == 0, result.output
    assert "3 questions" in result.stdout
    assert "as written" in result.stdout
    assert "diacritics removed" in result.stdout
    rows = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert set(MEASURES) <= rows
    assert set(MEASURES) == {"intent", "top1", "top3", "aspect", "oos_precision", "oos_recall",
                             "confident_wrong", "needless_choice", "nid_confident", "nid_said"}


def test_eval_json_gives_hits_and_trials(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    data = json.loads(run("eval", "--json", str(path)).stdout)
    assert data["as written"]["intent"]["trials"] == 3
    assert data["diacritics removed"]["top1"]["trials"] == 1


@pytest.mark.parametrize(("content", "message"), [
    ("questions:\n  - {q: x, intent: smalltalk}\n", "expected a list of questions"),
    ("- {q: xin chào, intent: smalltalk}\n- {q: no intent here}\n", "item 2 needs"),
    ("- just a string\n", "item 1 needs"),
])
def test_eval_on_a_malformed_file_names_the_file_and_fails(tmp_path: Path, content: str,
                                                           message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), "a clear message, not a traceback"
    assert message in result.stderr
    assert "bad.yaml" in result.stderr


def test_eval_on_a_file_with_a_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('- {q: "đăng ký tạm trú", intent: [procedure\n', encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), "a clear message, not a traceback"
    assert "bad.yaml" in result.stderr


def test_eval_rejects_codes_that_are_not_quoted_strings(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text('- {q: "đăng ký thường trú", intent: procedure, codes: [1.004222]}\n',
                    encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code != 0
    assert "quoted codes" in result.stderr


def test_eval_on_a_missing_file_fails(tmp_path: Path) -> None:
    result = run("eval", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "missing.yaml" in result.output


# --- kb check -------------------------------------------------------------------------------

def knowledge_copy(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    for relative in HANDKEPT_FILES:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KNOWLEDGE_DIR / relative, root / relative)
    return root


@pytest.mark.slow
def test_kb_check_accepts_an_intact_copy(tmp_path: Path) -> None:
    result = run("kb", "check", "--root", str(knowledge_copy(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "knowledge OK" in result.stdout


def test_kb_check_reports_file_and_line_of_broken_yaml(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path)
    path = root / FAQ_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("  - id:"))
    lines[number - 1] = "  - id: broken: mapping"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run("kb", "check", "--root", str(root))
    assert result.exit_code != 0
    assert f"faq.yaml:{number}:" in result.stderr


# --- chat -----------------------------------------------------------------------------------

def test_chat_answers_then_quits_on_q(t) -> None:
    result = run("chat", input="xin chào\nq\n")
    assert result.exit_code == 0, result.output
    assert t("smalltalk_hello") in result.stdout


def test_chat_ends_quietly_at_end_of_input() -> None:
    result = run("chat", input="xin chào\n")
    assert result.exit_code == 0, result.output


def test_chat_presses_a_button_by_its_number(t) -> None:
    result = run("chat", input="lệ phí đăng ký tạm trú là bao nhiêu\n1\nq\n")
    assert result.exit_code == 0, result.output
    # Button 1 of a fee answer is the documents aspect.
    assert t("heading.documents") in result.stdout


def test_ask_jsonl_reads_one_citizens_conversation_and_a_blank_line_starts_another() -> None:
    result = run("ask", "--jsonl", input="đăng ký tạm trú\nmất bao lâu\n\nmất bao lâu\n")
    assert result.exit_code == 0, result.output
    first, follow_up, stranger = (json.loads(line) for line in result.stdout.splitlines())
    assert first["context"] is None and first["procedure"]["code"] == TEMPORARY_RESIDENCE
    assert follow_up["context"] == TEMPORARY_RESIDENCE
    assert (follow_up["procedure"]["code"], follow_up["aspect"]) == (TEMPORARY_RESIDENCE,
                                                                      "duration")
    assert stranger["context"] is None and stranger["procedure"] is None


CONVERSATIONS = """\
- turns:
    - {q: "đăng ký tạm trú", intent: procedure, codes: ["1.004194"], aspect: overview}
    - {q: "mất bao lâu", intent: procedure, codes: ["1.004194"], aspect: duration, follow: aspect}
- turns:
    - {q: "đăng ký tạm trú", intent: procedure, codes: ["1.004194"], aspect: overview}
    - {q: "đăng ký kết hôn cần giấy gì", intent: procedure, codes: ["1.000894"],
       aspect: documents, follow: switch}
"""


def test_eval_plays_conversations_as_citizens_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "conversations.yaml"
    path.write_text(QUESTIONS + CONVERSATIONS, encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code == 0, result.output
    assert "3 questions" in result.stdout and "2 conversations" in result.stdout
    data = json.loads(run("eval", "--json", str(path)).stdout)
    conversations = data["conversations"]["as written"]
    assert conversations["follow_up"] == {"hits": 2, "trials": 2, "rate": 1.0}
    assert conversations["switch_stuck"]["hits"] == 0


def test_eval_refuses_a_later_turn_without_its_kind(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('- turns:\n    - {q: "a", intent: smalltalk}\n'
                    '    - {q: "b", intent: smalltalk}\n', encoding="utf-8")
    result = run("eval", str(path))
    assert result.exit_code != 0
    assert "follow must be one of" in result.stderr
