"""Every interface text the code asks for exists in knowledge/locales/texts.yaml, in
Vietnamese and in English.

Keys are found in every module of bot/, handlers/ and knowledge/, however they are looked
up: any string in the code shaped like a key of one of the texts' namespaces ("menu.news",
"petition.ask_name"), whether it is passed to `t(...)`, `ctx.t(...)`, `self._t(...)`,
`_text(...)`, kept in a table or handed to a helper that looks it up later. Keys built at
run time (`t(f"aspect.{...}")`) are checked against the values they can take; the keys of
bot.vocabulary's values are checked by tests/bot/test_vocabulary.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from bot.channels.telegram_updates import COMMANDS
from handlers import smalltalk
from handlers.procedure_facts import MODE_ORDER
from handlers.rating_form import SCORES
from knowledge.base import Knowledge
from knowledge.importer.modes import TIME_UNITS
from knowledge.nlu.aspects import ASPECTS, OVERVIEW
from knowledge.nlu.understand import Understanding

ROOT = Path(__file__).resolve().parents[2]
# bot/config.py reads environment variables with env.text("NAME"): not texts.
SOURCES = sorted(path for package in ("bot", "handlers", "knowledge")
                 for path in (ROOT / package).rglob("*.py") if path.name != "config.py")
TEXT_KEYS = yaml.safe_load((ROOT / "knowledge/locales/texts.yaml").read_text(
    encoding="utf-8"))["texts"]
NAMESPACES = frozenset(key.split(".")[0] for key in TEXT_KEYS if "." in key)
_KEY_SHAPE = re.compile(r"[a-z_]+(?:\.[a-z_0-9]+)+")
# Names of files (templates, data) have the same shape.
_FILE_SUFFIXES = (".html", ".py", ".yaml", ".yml", ".js", ".css", ".json", ".png", ".gz")
# Built names that share a namespace with the texts but are not texts: the audit log's
# actions ("petition.answer", bot/staff/petition_pages.py) and the reasons recorded with a
# message the bot starts ("status.closed", bot/staff/petitions.py).
NOT_TEXTS = frozenset({"petition.", "status."})
# A key without a namespace ("greeting", "help") is found where it is looked up: t("key"),
# ctx.t("key"), self._t("key"), text("key"), _text("key"), also with the key on the next line.
_LOOKUP_RE = re.compile(r"""\b_?(?:t|text)\(\s*(["'])([a-z_]+(?:\.[a-z_0-9]+)*)\1""")
# t(f"prefix.{...}"): a key built at run time.
_DYNAMIC_RE = re.compile(r"""\b_?(?:t|text)\(\s*f(["'])([^"'{}]*)\{""")

DYNAMIC_KEYS = {
    "aspect.": {f"aspect.{aspect}" for aspect in (*ASPECTS, OVERVIEW)},
    "heading.": {f"heading.{aspect}" for aspect in ASPECTS},
    "mode.": {f"mode.{mode}" for mode in MODE_ORDER},
    "duration.": {f"duration.{unit}" for unit in TIME_UNITS.values()},
    "rating.score.": {f"rating.score.{score}" for score in SCORES},
    "telegram.command.": {command.description_key for command in COMMANDS},
}
# handlers/smalltalk.py picks its key by the kind of small talk: text(kind or "..._hello").
SMALLTALK_KEYS = {"smalltalk_hello", "smalltalk_thanks", "smalltalk_bye"}


def _source_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)


def _built_key_prefixes() -> set[str]:
    """The fixed start of every key-shaped f-string: f"aspect.{...}" gives "aspect."."""
    prefixes = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if (isinstance(first, ast.Constant) and isinstance(first.value, str)
                        and re.fullmatch(r"[a-z_]+(?:\.[a-z_0-9]+)*\.", first.value)
                        and first.value.split(".")[0] in NAMESPACES
                        and first.value not in NOT_TEXTS):
                    prefixes.add(first.value)
    return prefixes


def _keys_in_the_code() -> set[str]:
    keys = set()
    for path in SOURCES:
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and _KEY_SHAPE.fullmatch(node.value)
                    and node.value.split(".")[0] in NAMESPACES
                    and not node.value.endswith(_FILE_SUFFIXES)):
                keys.add(node.value)
        # Plain keys are told from other words only where they are looked up; the record
        # fields the importer reads with its own text(...) are not interface texts.
        keys.update(key for _, key in _LOOKUP_RE.findall(source)
                    if "." in key or key in TEXT_KEYS or "knowledge" not in path.parts)
    return keys


LITERAL_KEYS = sorted(_keys_in_the_code())
ALL_KEYS = sorted(set(LITERAL_KEYS).union(SMALLTALK_KEYS, *DYNAMIC_KEYS.values()))


def test_sources_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in SOURCES}
    assert {"handlers/procedures.py", "bot/dialogue.py", "bot/staff/notify.py",
            "bot/channels/telegram_updates.py", "knowledge/nlu/understand.py"} <= names


def test_literal_keys_are_found_in_the_code() -> None:
    # A guard against a regex that silently finds nothing.
    assert {"proc.title", "fact.unknown", "fee.province_decides", "button.unknown",
            "out_of_scope", "ask_which",
            # self._t(...) in the dialogue, _text(...) in the forms, a menu's table, a key
            # handed to a helper, and the channels' own texts:
            "input.flood", "petition.ask_content", "menu.news", "subscribe.choose",
            "zalo.pick_a_number", "broadcast.link_line",
            "staff.digest.title"} <= set(LITERAL_KEYS)


def test_keys_built_at_run_time_are_the_known_ones() -> None:
    """A new `t(f"...{...}")`, or any key built at run time, needs its set of values listed
    in DYNAMIC_KEYS."""
    looked_up = {prefix for _, prefix in _DYNAMIC_RE.findall(_source_text())}
    assert looked_up <= _built_key_prefixes() == set(DYNAMIC_KEYS)


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
