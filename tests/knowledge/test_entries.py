"""One declaration per entry gives both its check and its typed object
(knowledge/handkept/entries.py)."""

from __future__ import annotations

import yaml

from knowledge.handkept.entries import FollowUpWords, Guide, Link, Qualifier, build, checker
from knowledge.handkept.schema import FileProblems

GUIDE = """\
id: vneid
title: {vi: "Tài khoản định danh", en: "Digital ID"}
summary: "  Cài VNeID  "
steps: ["Tải ứng dụng", "Đăng ký"]
links: [{label: "Cổng", url: "https://dichvucong.gov.vn"}]
keywords: ["vneid"]
source: {url: "https://vneid.gov.vn", title: "VNeID", checked: 2026-11-25}
"""


def _check(cls, text: str, **options) -> tuple[object, list[str]]:
    out = FileProblems("test.yaml")
    values = checker(cls, **options)(yaml.compose(text), "entry", out)
    return values, [str(problem) for problem in out.problems]


def test_a_valid_entry_is_checked_and_built_into_its_type() -> None:
    values, problems = _check(Guide, GUIDE)
    assert problems == []
    guide = build(Guide, yaml.safe_load(GUIDE))
    assert guide.summary == "Cài VNeID" and guide.title["en"] == "Digital ID"
    assert guide.links == (Link("Cổng", "https://dichvucong.gov.vn"),)
    assert guide.source.checked == "2026-11-25" and guide.more_sources == ()


def test_the_same_declaration_names_each_problem_with_its_line() -> None:
    broken = GUIDE.replace("id: vneid", "id: Not A Slug").replace(
        'url: "https://dichvucong.gov.vn"', 'url: "ftp://x"') + "colour: red\n"
    _, problems = _check(Guide, broken)
    assert any(p.startswith("test.yaml:1: entry.id:") for p in problems)
    assert any("entry.links[0].url" in p and "https://" in p for p in problems)
    assert any("test.yaml:8: entry.colour: unknown field" in p for p in problems)


def test_fields_with_a_default_in_code_may_still_be_required_in_the_file() -> None:
    _, optional = _check(FollowUpWords, "neutral: [ạ]\n")
    _, required = _check(FollowUpWords, "neutral: [ạ]\n", all_required=True)
    assert optional == []
    assert {p.split(": ")[1] for p in required} == {"entry.question_words", "entry.qualifiers"}
    qualifier = build(Qualifier, {"says": ["con"], "names": ["trẻ em"], "age_below": 14})
    assert qualifier.age_below == 14 and qualifier.says == ("con",)
