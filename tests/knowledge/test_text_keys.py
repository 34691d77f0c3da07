"""Every interface text the code asks for exists in knowledge/locales/texts.yaml, in
Vietnamese and in English.

Literal keys are found in the source of handlers/ and bot/ (`t("key")`, `.text("key")`);
keys built at run time (`t(f"aspect.{...}")`) are checked against the values they can take.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers import smalltalk
from handlers.procedure_facts import MODE_ORDER
from handlers.rating_form import SCORES
from knowledge.aspects import ASPECTS, OVERVIEW
from knowledge.base import Knowledge
from knowledge.parse_modes import TIME_UNITS
from knowledge.understand import Understanding

ROOT = Path(__file__).resolve().parents[2]
# bot/config.py reads environment variables with env.text("NAME"): not texts.
SOURCES = sorted(path for path in [*ROOT.glob("handlers/*.py"), *ROOT.glob("bot/*.py")]
                 if path.name != "config.py")

# t("key"), text("key"), handkept.text("key", ...), t('key') inside an f-string, also with
# the key on the next line.
_LITERAL_RE = re.compile(r"""\b(?:t|text)\(\s*(["'])([^"'{}]+)\1""")
# t(f"prefix.{...}"): a key built at run time.
_DYNAMIC_RE = re.compile(r"""\b(?:t|text)\(\s*f(["'])([^"'{}]*)\{""")

DYNAMIC_KEYS = {
    "aspect.": {f"aspect.{aspect}" for aspect in (*ASPECTS, OVERVIEW)},
    "heading.": {f"heading.{aspect}" for aspect in ASPECTS},
    "mode.": {f"mode.{mode}" for mode in MODE_ORDER},
    "duration.": {f"duration.{unit}" for unit in TIME_UNITS.values()},
    "rating.score.": {f"rating.score.{score}" for score in SCORES},
}
# handlers/smalltalk.py picks its key by the kind of small talk: text(kind or "..._hello").
SMALLTALK_KEYS = {"smalltalk_hello", "smalltalk_thanks", "smalltalk_bye"}


def _source_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)


LITERAL_KEYS = sorted({key for _, key in _LITERAL_RE.findall(_source_text())})
ALL_KEYS = sorted(set(LITERAL_KEYS).union(SMALLTALK_KEYS, *DYNAMIC_KEYS.values()))


def test_sources_are_found() -> None:
    names = {f"{path.parent.name}/{path.name}" for path in SOURCES}
    assert {"handlers/procedures.py", "handlers/procedure_facts.py", "bot/dialogue.py"} <= names


def test_literal_keys_are_found_in_the_code() -> None:
    # A guard against a regex that silently finds nothing.
    assert {"proc.title", "fact.unknown", "fee.province_decides", "button.unknown",
            "out_of_scope", "ask_which"} <= set(LITERAL_KEYS)


def test_keys_built_at_run_time_are_the_known_ones() -> None:
    """A new `t(f"...{...}")` needs its set of values listed in DYNAMIC_KEYS."""
    assert {prefix for _, prefix in _DYNAMIC_RE.findall(_source_text())} == set(DYNAMIC_KEYS)


@pytest.mark.parametrize(("message", "key"), [("xin chào", "smalltalk_hello"),
                                              ("cảm ơn nhiều", "smalltalk_thanks"),
                                              ("tạm biệt nhé", "smalltalk_bye")])
def test_smalltalk_replies_with_the_listed_keys(knowledge: Knowledge, message: str,
                                                key: str) -> None:
    assert key in SMALLTALK_KEYS
    replies = smalltalk.handle(Understanding(message, "smalltalk"), knowledge)
    assert [reply.text for reply in replies] == [knowledge.handkept.text(key)]


@pytest.mark.parametrize("key", ALL_KEYS)
def test_text_exists_in_vietnamese_and_english(knowledge: Knowledge, key: str) -> None:
    texts = knowledge.handkept.texts
    assert key in texts, f"texts.yaml has no '{key}'"
    for lang in ("vi", "en"):
        assert texts[key].get(lang, "").strip(), f"'{key}' has no {lang} text"
