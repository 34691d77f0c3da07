"""knowledge/yaml/holidays.yaml: the committed calendar, and clear errors for broken files.

Broken files are written to a temporary knowledge folder; each problem must name the file,
the line and the field.
"""

from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest

from knowledge.handkept.check import check_knowledge
from knowledge.handkept.holidays import MAX_BREAK_DAYS, Holidays, load_holidays
from knowledge.handkept.model import KNOWLEDGE_DIR, KnowledgeError
from knowledge.handkept.schema import HANDKEPT_FILES, HOLIDAYS_FILE, Problem

FILE = "knowledge/yaml/holidays.yaml"

# A valid file; tests replace one part of it (the lines are counted in the assertions).
VALID = """\
sources:
  law:
    title: Bộ luật Lao động 2019, Điều 112
    url: https://vbpl.vn/example
    checked: "2026-11-25"
years:
  2026:
    days_off:
      - date: 2026-01-01
        name: Tết Dương lịch
        source: law
      - from: 2026-02-14
        to: 2026-02-22
        name: Tết Nguyên đán
        source: [law]
    working_weekends:
      - date: 2026-01-10
        name: Làm bù
        source: law
"""


# --- the committed file -------------------------------------------------------------------


@pytest.fixture(scope="module")
def holidays() -> Holidays:
    return load_holidays()


def test_committed_file_covers_2025_and_2026(holidays: Holidays) -> None:
    assert holidays.years[:2] == (2025, 2026)
    closed = holidays.closed_days()
    for day in (date(2025, 1, 1), date(2025, 1, 29), date(2025, 4, 7), date(2025, 9, 2),
                date(2026, 1, 1), date(2026, 2, 17), date(2026, 4, 27), date(2026, 4, 30),
                date(2026, 5, 1), date(2026, 9, 1), date(2026, 9, 2)):
        assert day in closed, day
    assert {date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)} <= (
        holidays.working_weekend_days())


def test_every_committed_entry_names_a_checked_source(holidays: Holidays) -> None:
    entries = [*holidays.days_off, *holidays.working_weekends]
    assert entries
    for entry in entries:
        assert entry.sources, entry
        for source in entry.sources:
            assert source.title and source.checked, source
            assert source.url.startswith("https://"), source


def test_a_closed_day_says_why(holidays: Holidays) -> None:
    entry = holidays.day_off(date(2026, 2, 18))
    assert entry is not None and "Tết" in entry.name
    assert (entry.first, entry.last) == (date(2026, 2, 14), date(2026, 2, 22))
    assert holidays.day_off(date(2026, 3, 18)) is None


# --- broken files -------------------------------------------------------------------------


def write(tmp_path: Path, content: str) -> Path:
    root = tmp_path / "knowledge"
    (root / "yaml").mkdir(parents=True)
    (root / HOLIDAYS_FILE).write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def problems_of(tmp_path: Path, content: str) -> list[Problem]:
    with pytest.raises(KnowledgeError) as error:
        load_holidays(write(tmp_path, content))
    problems = error.value.problems
    assert all(p.file == FILE for p in problems), problems
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_the_valid_example_loads(tmp_path: Path) -> None:
    holidays = load_holidays(write(tmp_path, VALID))
    assert holidays.years == (2026,)
    assert len(holidays.closed_days()) == 10
    assert holidays.working_weekend_days() == {date(2026, 1, 10)}


def test_a_date_that_does_not_exist(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("date: 2026-01-01", "date: 2026-02-30")))
    assert (problem.line, problem.field) == (9, "years.2026.days_off[0].date")
    assert "'2026-02-30' is not a date" in problem.message


def test_from_and_to_reversed(tmp_path: Path) -> None:
    content = VALID.replace("from: 2026-02-14", "from: 2026-02-23")
    problem = only(problems_of(tmp_path, content))
    assert (problem.line, problem.field) == (13, "years.2026.days_off[1].to")
    assert "before 'from' (2026-02-23)" in problem.message


def test_a_missing_source(tmp_path: Path) -> None:
    content = VALID.replace("        name: Tết Dương lịch\n        source: law\n",
                            "        name: Tết Dương lịch\n")
    problem = only(problems_of(tmp_path, content))
    assert (problem.line, problem.field, problem.message) == (
        9, "years.2026.days_off[0].source", "missing")


def test_a_source_id_not_in_the_sources_table(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("source: [law]", "source: [law, decree]")))
    assert (problem.line, problem.field) == (15, "years.2026.days_off[1].source[1]")
    assert "unknown source 'decree' (known: law)" in problem.message


def test_a_source_without_title(tmp_path: Path) -> None:
    content = VALID.replace("    title: Bộ luật Lao động 2019, Điều 112\n", "")
    problem = only(problems_of(tmp_path, content))
    assert (problem.field, problem.message) == ("sources.law.title", "missing")


def test_an_entry_with_an_unknown_key(tmp_path: Path) -> None:
    content = VALID.replace("to: 2026-02-22", "until: 2026-02-22")
    missing, unknown = problems_of(tmp_path, content)
    assert (unknown.line, unknown.field) == (13, "years.2026.days_off[1].until")
    assert unknown.message.startswith("unknown field (known: date, from, to, name, source)")
    assert (missing.line, missing.field) == (12, "years.2026.days_off[1].to")


def test_unknown_keys_in_a_year_and_at_the_top(tmp_path: Path) -> None:
    content = VALID.replace("    working_weekends:", "    workdays:") + "holidays: []\n"
    problems = problems_of(tmp_path, content)
    assert [(p.line, p.field) for p in problems] == [
        (16, "years.2026.workdays"), (20, "holidays")]
    assert "unknown key (known: days_off, working_weekends)" in problems[0].message
    assert "unknown top-level key (known: sources, years)" in problems[1].message


def test_a_day_off_without_any_date(tmp_path: Path) -> None:
    content = VALID.replace("      - date: 2026-01-01\n        name", "      - name")
    problem = only(problems_of(tmp_path, content))
    assert (problem.line, problem.field) == (9, "years.2026.days_off[0].date")
    assert "needs 'date', or 'from' and 'to'" in problem.message


def test_from_without_to(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("        to: 2026-02-22\n", "")))
    assert problem.field == "years.2026.days_off[1].to"


def test_a_date_outside_its_year(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("date: 2026-01-01", "date: 2025-01-01")))
    assert (problem.line, problem.field) == (9, "years.2026.days_off[0].date")
    assert "2025-01-01 is not in 2026" in problem.message


def test_a_break_too_long_to_be_true(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("to: 2026-02-22", "to: 2026-12-22")))
    assert problem.field == "years.2026.days_off[1].to"
    assert f"at most {MAX_BREAK_DAYS}" in problem.message


def test_a_working_weekend_on_a_weekday(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("date: 2026-01-10", "date: 2026-01-09")))
    assert (problem.line, problem.field) == (17, "years.2026.working_weekends[0].date")
    assert "2026-01-09 is a Friday" in problem.message


def test_a_day_listed_twice(tmp_path: Path) -> None:
    content = VALID.replace("date: 2026-01-10", "date: 2026-02-14")
    problem = only(problems_of(tmp_path, content))
    assert (problem.line, problem.field) == (17, "years.2026.working_weekends[0]")
    assert "2026-02-14 is already listed at years.2026.days_off[1]" in problem.message


def test_years_must_follow_each_other(tmp_path: Path) -> None:
    content = VALID + "  2028:\n    days_off:\n      - {date: 2028-01-01, name: x, source: law}\n"
    problem = only(problems_of(tmp_path, content))
    assert (problem.line, problem.field) == (20, "years.2028")
    assert "2027 missing between 2026 and 2028" in problem.message


def test_a_year_that_is_not_a_year(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path, VALID.replace("  2026:", "  next:")))
    assert (problem.line, problem.field) == (7, "years.next")
    assert "four digits" in problem.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    content = (VALID.replace("date: 2026-01-01", "date: 2026-02-30")
               .replace("from: 2026-02-14", "from: 2026-02-23")
               .replace("date: 2026-01-10", "date: 2026-01-09"))
    assert [p.line for p in problems_of(tmp_path, content)] == [9, 13, 17]


def test_kb_check_reports_holiday_problems_with_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    for relative in HANDKEPT_FILES:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KNOWLEDGE_DIR / relative, root / relative)
    (root / HOLIDAYS_FILE).write_text(
        VALID.replace("date: 2026-01-01", "date: 2026-02-30"), encoding="utf-8")
    assert [str(p) for p in check_knowledge(root)] == [
        f"{FILE}:9: years.2026.days_off[0].date: '2026-02-30' is not a date YYYY-MM-DD"]
    (root / HOLIDAYS_FILE).unlink()
    assert [str(p) for p in check_knowledge(root)] == [f"{FILE}:0: file is missing"]
