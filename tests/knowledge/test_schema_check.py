"""The validation of the hand-kept knowledge names file, line and field of every problem.

Each broken fixture under fixtures/broken/ replaces one real file in a copy of the knowledge,
so every problem reported comes from that fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.handkept.check import check_knowledge
from knowledge.handkept.model import KNOWLEDGE_DIR
from knowledge.handkept.schema import (
    ALIASES_FILE,
    CONTACTS_FILE,
    FAQ_FILE,
    GUIDES_FILE,
    HANDKEPT_FILES,
    INTENTS_FILE,
    TEXTS_FILE,
    Problem,
    looks_like_vietnamese_phone,
    placeholders,
)

BROKEN = Path(__file__).parent / "fixtures" / "broken"


def knowledge_copy(tmp_path: Path, **replacements: str) -> Path:
    """A copy of the real hand-kept files; `replacements` maps a file to a broken fixture."""
    root = tmp_path / "knowledge"
    for relative in HANDKEPT_FILES:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KNOWLEDGE_DIR / relative, target)
    for relative, fixture in replacements.items():
        shutil.copy(BROKEN / fixture, root / relative)
    return root


def problems_with(tmp_path: Path, relative: str, fixture: str) -> list[Problem]:
    return check_knowledge(knowledge_copy(tmp_path, **{relative: fixture}))


def find(problems: list[Problem], line: int, field: str) -> Problem:
    matches = [p for p in problems if p.line == line and p.field == field]
    assert matches, f"no problem at line {line} for {field}; got:\n" + "\n".join(map(str, problems))
    return matches[0]


def test_real_knowledge_has_no_problems() -> None:
    assert [str(p) for p in check_knowledge(KNOWLEDGE_DIR)] == []


def test_problem_reads_like_a_compiler_message() -> None:
    problem = Problem("knowledge/yaml/contacts.yaml", 12, "contacts[3].source.url", "missing")
    assert str(problem) == "knowledge/yaml/contacts.yaml:12: contacts[3].source.url: missing"
    assert str(Problem("knowledge/yaml/faq.yaml", 0, "", "file is missing")) == (
        "knowledge/yaml/faq.yaml:0: file is missing"
    )


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path)
    (root / FAQ_FILE).unlink()
    problems = check_knowledge(root)
    assert [str(p) for p in problems] == ["knowledge/yaml/faq.yaml:0: file is missing"]


def test_empty_file_is_a_problem(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path)
    (root / GUIDES_FILE).write_text("# nothing yet\n", encoding="utf-8")
    assert [str(p) for p in check_knowledge(root)] == [
        "knowledge/yaml/online_guides.yaml:0: file is empty"
    ]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, CONTACTS_FILE, "contacts_syntax.yaml")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == "knowledge/yaml/contacts.yaml"
    assert problem.line == 4
    assert problem.message.startswith("YAML syntax error")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path)
    (root / FAQ_FILE).write_text("- just a list\n", encoding="utf-8")
    (problem,) = check_knowledge(root)
    assert (problem.file, problem.line) == ("knowledge/yaml/faq.yaml", 1)
    assert "must be a mapping with 'faq:'" in problem.message


class TestContacts:
    @pytest.fixture
    def problems(self, tmp_path: Path) -> list[Problem]:
        return problems_with(tmp_path, CONTACTS_FILE, "contacts.yaml")

    def test_every_problem_is_reported(self, problems: list[Problem]) -> None:
        assert len(problems) == 15
        assert {p.file for p in problems} == {"knowledge/yaml/contacts.yaml"}

    def test_missing_required_field(self, problems: list[Problem]) -> None:
        assert find(problems, 10, "contacts[0].source.url").message == "missing"

    def test_enum_values(self, problems: list[Problem]) -> None:
        assert "'district' is not one of" in find(problems, 14, "contacts[1].scope").message
        assert "'gossip' is not one of" in find(problems, 19, "contacts[1].purpose[1]").message

    def test_phone_must_look_vietnamese(self, problems: list[Problem]) -> None:
        assert "Vietnamese phone number" in find(problems, 16, "contacts[1].phone").message

    def test_email_and_url(self, problems: list[Problem]) -> None:
        assert "e-mail" in find(problems, 17, "contacts[1].email").message
        assert "https://" in find(problems, 18, "contacts[1].url").message

    def test_checked_must_be_a_date(self, problems: list[Problem]) -> None:
        assert "YYYY-MM-DD" in find(problems, 21, "contacts[1].source.checked").message

    def test_unknown_field(self, problems: list[Problem]) -> None:
        assert "unknown field" in find(problems, 23, "contacts[1].colour").message

    def test_confirmed_needs_a_source(self, problems: list[Problem]) -> None:
        assert "needs a source url" in find(problems, 31, "contacts[2].source.url").message
        assert "checked" in find(problems, 31, "contacts[2].source.checked").message

    def test_duplicate_id(self, problems: list[Problem]) -> None:
        message = find(problems, 33, "contacts[3].id").message
        assert message == "duplicate id 'missing_source_url' (first at line 3)"

    def test_duplicate_mapping_key(self, problems: list[Problem]) -> None:
        message = find(problems, 35, "contacts[3].name").message
        assert message == "duplicate key 'name' (first at line 34)"

    def test_types(self, problems: list[Problem]) -> None:
        assert "put it in quotes" in find(problems, 38, "contacts[3].phone").message
        assert "true or false" in find(problems, 42, "contacts[3].confirmed").message

    def test_confirmed_contact_must_have_its_value(self, problems: list[Problem]) -> None:
        assert "must have its email" in find(problems, 50, "contacts[4].email").message


def test_guides(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, GUIDES_FILE, "online_guides.yaml")
    assert find(problems, 2, "guides[0].steps").message == "missing"
    assert "at least 1" in find(problems, 11, "guides[1].steps").message
    assert "https://" in find(problems, 13, "guides[1].links[0].url").message
    assert "must not be empty" in find(problems, 15, "guides[1].source.url").message
    assert len(problems) == 4


def test_faq(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, FAQ_FILE, "faq.yaml")
    assert "keep it to 500" in find(problems, 5, "faq[0].answer").message
    assert find(problems, 14, "faq[1].source").message == "missing"
    assert len(problems) == 2


def test_aliases(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, ALIASES_FILE, "aliases.yaml")
    assert "duplicate term 'sổ đỏ'" in find(problems, 4, "aliases[1].terms[0]").message
    # "so do" matches like "sổ đỏ" once diacritics are folded, but means something else.
    assert "matches the same words" in find(problems, 6, "aliases[2].terms[0]").message
    assert "at least 1" in find(problems, 8, "aliases[3].terms").message
    assert "duplicate abbreviation 'ko'" in find(problems, 12, "abbreviations[1].short").message
    assert find(problems, 13, "abbreviations[2].means").message == "missing"
    assert len(problems) == 5


def test_intents_and_aspects(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, INTENTS_FILE, "intents.yaml")
    assert find(problems, 2, "intents.complaint").message == "missing"
    assert "needs at least 10" in find(problems, 4, "intents.procedure.examples").message
    assert "belongs to 'contact', not 'procedure'" in (
        find(problems, 7, "intents.contact.examples[9]").message
    )
    assert "unknown intent" in find(problems, 8, "intents.weather").message
    assert find(problems, 12, "aspects.documents").message == "missing"
    assert "at least 1" in find(problems, 13, "aspects.duration").message
    assert "duplicate cue 'lệ phí'" in find(problems, 14, "aspects.where[0]").message
    missing_intents = {p.field for p in problems if p.message == "missing" and p.line == 2}
    assert len(missing_intents) == 9


def test_texts(tmp_path: Path) -> None:
    problems = problems_with(tmp_path, TEXTS_FILE, "texts.yaml")
    assert find(problems, 3, "texts.greeting.en").message == "missing"
    assert find(problems, 6, "texts.ask_which.en").message == (
        "placeholders differ: vi has {count}, en has {number}"
    )
    assert "bad placeholder" in find(problems, 8, "texts.source_label.vi").message
    assert find(problems, 2, "texts.aspect.fee").message == "missing"


def test_valid_entries_stay_quiet_next_to_broken_ones(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path, **{FAQ_FILE: "faq.yaml", TEXTS_FILE: "texts.yaml"})
    files = {p.file for p in check_knowledge(root)}
    assert files == {"knowledge/yaml/faq.yaml", "knowledge/locales/texts.yaml"}


@pytest.mark.parametrize(
    "number",
    ["1800 1096", "18001096", "1900 54 54 81", "1900.1234", "0912 345 678", "024.3823.4567"],
)
def test_vietnamese_phone_numbers_are_accepted(number: str) -> None:
    assert looks_like_vietnamese_phone(number)


@pytest.mark.parametrize(
    "number", ["12345", "+84 912 345 678", "0912-345-678", "091234", "1800 10", "hotline"]
)
def test_other_numbers_are_refused(number: str) -> None:
    assert not looks_like_vietnamese_phone(number)


def test_placeholders() -> None:
    assert placeholders("{name}: {phone}") == {"name", "phone"}
    assert placeholders("no placeholder, {{braces}} escaped") == set()
    with pytest.raises(ValueError):
        placeholders("{}")


def test_impossible_unquoted_date_is_reported_not_crashed_on(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path)
    faq = root / FAQ_FILE
    faq.write_text(
        faq.read_text(encoding="utf-8").replace('checked: "2026-11-25"', "checked: 2026-13-45", 1),
        encoding="utf-8",
    )
    (problem,) = check_knowledge(root)
    assert problem.field.endswith(".source.checked")
    assert "'2026-13-45' is not a date" in problem.message


def test_follow_up_words_name_the_line_of_each_problem(tmp_path: Path) -> None:
    root = knowledge_copy(tmp_path)
    intents = root / INTENTS_FILE
    text = intents.read_text(encoding="utf-8")
    start = text.index("\nfollow_ups:") + 1
    intents.write_text(text[:start] + (
        "follow_ups:\n"
        "  neutral: [còn, thì sao, còn]\n"
        "  question_words: [gì]\n"
        "  qualifiers:\n"
        "    - says: [người nước ngoài]\n"
        "      names: [có yếu tố nước ngoài]\n"
        "      age_below: mười bốn\n"
        "    - says: [người nước ngoài, lưu động]\n"
        "      names: [lưu động]\n"), encoding="utf-8")
    problems = check_knowledge(root)
    lines = text[:start].count("\n") + 1
    assert "duplicate neutral word" in find(problems, lines + 1, "follow_ups.neutral[2]").message
    assert "whole number" in find(problems, lines + 6, "follow_ups.qualifiers[0].age_below").message
    assert "qualifier phrase" in find(problems, lines + 7,
                                      "follow_ups.qualifiers[1].says[0]").message
