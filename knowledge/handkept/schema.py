"""Validation of the hand-kept knowledge (contacts, guides, FAQ, aliases, intents, texts,
public holidays).

`check_knowledge(root)` reads every hand-kept YAML file under `root` (normally the
`knowledge/` package folder) and returns a list of `Problem`s, each naming the file, the
line and the field, e.g.::

    knowledge/yaml/contacts.yaml:12: contacts[3].source.url: missing

List indexes in field paths count from 0. Every problem is reported, not just the first;
an empty list means the knowledge is fine. Files are read with `yaml.compose` (safe, no
Python objects) so that every node keeps its line number.
"""

from __future__ import annotations

import datetime
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.vocabulary import ASPECTS as VOCABULARY_ASPECTS
from bot.vocabulary import INTENTS as VOCABULARY_INTENTS
from bot.vocabulary import fold as vocabulary_fold

# libyaml's safe loader when PyYAML has it (several times faster), else the pure one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Where each hand-kept file lives, relative to the knowledge root.
CONTACTS_FILE = "yaml/contacts.yaml"
GUIDES_FILE = "yaml/online_guides.yaml"
FAQ_FILE = "yaml/faq.yaml"
ALIASES_FILE = "yaml/aliases.yaml"
INTENTS_FILE = "yaml/intents.yaml"
TEXTS_FILE = "locales/texts.yaml"
HOLIDAYS_FILE = "yaml/holidays.yaml"
HANDKEPT_FILES = (
    CONTACTS_FILE, GUIDES_FILE, FAQ_FILE, ALIASES_FILE, INTENTS_FILE, TEXTS_FILE, HOLIDAYS_FILE
)

CONTACT_SCOPES = ("national", "province", "commune")
CONTACT_KINDS = ("hotline", "email", "web", "office")
CONTACT_PURPOSES = (
    "support",
    "petition",
    "lookup",
    "postal",
    "vneid",
    "online",
    "procedures",
)
# The value a contact of each kind must have before it can be shown.
VALUE_OF_KIND = {"hotline": "phone", "email": "email", "web": "url", "office": "address"}

INTENTS = VOCABULARY_INTENTS.values
MIN_INTENT_EXAMPLES = 10
ASPECTS = VOCABULARY_ASPECTS.values
LANGUAGES = ("vi", "en")
# Every text key the code asks for; a test checks that the code asks for no other.
REQUIRED_TEXT_KEYS = (
    "greeting", "help", "menu_title", "out_of_scope", "not_understood", "ask_which",
    "smalltalk_thanks", "smalltalk_hello", "smalltalk_bye", "source_label",
    *(f"aspect.{a}" for a in (*ASPECTS, "overview")),
    *(f"heading.{a}" for a in ASPECTS),
    "proc.title", "proc.rest_at_source", "procedure.which", "procedure.related",
    "mode.online", "mode.post", "mode.in_person", "mode.other", "fact.unknown",
    "fee.free", "fee.province_decides", "fee.province_note", "fee.until", "fee.between",
    "fee.cell", "fee.percent", "fee.change_ended", "fee.note_says", "fee.cell_beside", "fee.waiver",
    "duration.by_case", "duration.working_days", "duration.days", "duration.hours",
    "duration.months",
    "where.agency", "where.levels", "online.yes", "online.only", "online.in_person_only",
    "online.no", "online.post",
    "documents.none", "documents.general", "documents.case", "documents.choose_case",
    "documents.unnamed_case", "documents.general_button", "documents.next", "documents.notes",
    "documents.originals", "documents.copies", "documents.originals_and_copies",
    "fact.either", "word.or", "steps.as_written", "steps.more", "conditions.none",
    "contact.intro", "contact.call", "contact.unconfirmed", "contact.none_confirmed",
    "online_help.menu",
    "button.unknown", "complaint_intro", "feedback_intro", "subscribe_intro",
    "unsubscribe_intro",
)
MAX_FAQ_ANSWER_CHARS = 500
DEFAULT_LANG = "vi"

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_TAG_NAMES = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    _BOOL: "true/false",
    _NULL: "nothing",
    _TIMESTAMP: "a date",
    "tag:yaml.org,2002:map": "a mapping",
    "tag:yaml.org,2002:seq": "a list",
}

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE_CHARS_RE = re.compile(r"^[0-9 .]+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a knowledge file; `line` is 1-based, 0 when there is no line."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class KnowledgeError(Exception):
    """The hand-kept knowledge has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{len(self.problems)} problem(s) in the hand-kept knowledge:"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def looks_like_vietnamese_phone(value: str) -> bool:
    """1800/1900 service numbers (8–10 digits) or 0 followed by 9–10 digits."""
    if not _PHONE_CHARS_RE.match(value):
        return False
    digits = value.replace(" ", "").replace(".", "")
    if digits.startswith(("1800", "1900")):
        return 8 <= len(digits) <= 10
    return digits.startswith("0") and 10 <= len(digits) <= 11


def placeholders(template: str) -> set[str]:
    """Names of the `{placeholders}` in a str.format template; raises ValueError if malformed."""
    names = set()
    for _literal, name, _spec, _conversion in string.Formatter().parse(template):
        if name is not None:
            if not name:
                raise ValueError("empty placeholder {} (give it a name)")
            names.add(name)
    return names


# --- reading -----------------------------------------------------------------------------


@dataclass
class FileProblems:
    """Collects the problems of one file."""

    display: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, node: Node | None, path: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(self.display, line, path, message))


def compose(path: Path, out: FileProblems) -> Node | None:
    if not path.is_file():
        out.add(None, "", "file is missing")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        out.add(None, "", f"cannot be read: {error}")
        return None
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        reason = error.problem or error.context or "invalid YAML"
        out.problems.append(Problem(out.display, line, "", f"YAML syntax error: {reason}"))
        return None
    except yaml.YAMLError as error:
        out.add(None, "", f"YAML error: {error}")
        return None
    if root is None:
        out.add(None, "", "file is empty")
        return None
    check_duplicate_keys(root, "", out)
    return root


def check_duplicate_keys(node: Node, path: str, out: FileProblems) -> None:
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = joined(path, key)
            if key in seen:
                out.add(key_node, child, f"duplicate key '{key}' (first at line {seen[key]})")
            else:
                seen[key] = key_node.start_mark.line + 1
            check_duplicate_keys(value_node, child, out)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            check_duplicate_keys(item, f"{path}[{index}]", out)


def joined(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def mapping_pairs(node: MappingNode) -> dict[str, tuple[Node, Node]]:
    """Key → (key node, value node); the first of duplicated keys wins (duplicates are reported)."""
    result: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        result.setdefault(str(key_node.value), (key_node, value_node))
    return result


def kind_of(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return _TAG_NAMES.get(node.tag, "a string")


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


# --- checkers for single values; each returns the plain value or None when wrong ----------

Checker = Callable[[Node, str, FileProblems], object]


def _string(node: Node, path: str, out: FileProblems, *, allow_empty: bool = False) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _STR:
        value = node.value.strip()
        if not value and not allow_empty:
            out.add(node, path, "must not be empty")
            return None
        return value
    if allow_empty and is_null(node):
        return ""
    hint = " (put it in quotes)" if isinstance(node, ScalarNode) and not is_null(node) else ""
    out.add(node, path, f"expected text, got {kind_of(node)}{hint}")
    return None


def text(node: Node, path: str, out: FileProblems) -> str | None:
    return _string(node, path, out)


def optional_text(node: Node, path: str, out: FileProblems) -> str | None:
    return _string(node, path, out, allow_empty=True)


def slug(node: Node, path: str, out: FileProblems) -> str | None:
    value = _string(node, path, out)
    if value is not None and not _ID_RE.match(value):
        out.add(node, path, "must be lower-case letters, digits and '_' (e.g. 'dvc_hotline')")
        return None
    return value


def boolean(node: Node, path: str, out: FileProblems) -> bool | None:
    if isinstance(node, ScalarNode) and node.tag == _BOOL:
        return node.value.lower() in ("true", "yes", "on")
    out.add(node, path, f"expected true or false, got {kind_of(node)}")
    return None


def url(node: Node, path: str, out: FileProblems) -> str | None:
    value = _string(node, path, out, allow_empty=True)
    if value and not value.startswith(("https://", "http://")):
        out.add(node, path, "must start with https:// or http://")
        return None
    return value


def required_url(node: Node, path: str, out: FileProblems) -> str | None:
    value = url(node, path, out)
    if value == "":
        out.add(node, path, "must not be empty")
        return None
    return value


def phone(node: Node, path: str, out: FileProblems) -> str | None:
    value = _string(node, path, out, allow_empty=True)
    if value and not looks_like_vietnamese_phone(value):
        out.add(
            node,
            path,
            f"'{value}' does not look like a Vietnamese phone number "
            "(digits, spaces and dots; 1800/1900… or 0 followed by 9–10 digits)",
        )
        return None
    return value


def email(node: Node, path: str, out: FileProblems) -> str | None:
    value = _string(node, path, out, allow_empty=True)
    if value and not _EMAIL_RE.match(value):
        out.add(node, path, f"'{value}' does not look like an e-mail address")
        return None
    return value


def date(node: Node, path: str, out: FileProblems) -> str | None:
    if isinstance(node, ScalarNode) and node.tag == _TIMESTAMP:
        value = node.value
    else:
        value = _string(node, path, out, allow_empty=True)
        if value is None:
            return None
    if value and not _is_date(value):
        out.add(node, path, f"'{value}' is not a date YYYY-MM-DD")
        return None
    return value


def _is_date(value: str) -> bool:
    if not _DATE_RE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def one_of(choices: Iterable[str]) -> Checker:
    allowed = tuple(choices)

    def check(node: Node, path: str, out: FileProblems) -> str | None:
        value = _string(node, path, out)
        if value is not None and value not in allowed:
            out.add(node, path, f"'{value}' is not one of: {', '.join(allowed)}")
            return None
        return value

    return check


def list_of(item: Checker, *, min_items: int = 1) -> Checker:
    def check(node: Node, path: str, out: FileProblems) -> list | None:
        if not isinstance(node, SequenceNode):
            out.add(node, path, f"expected a list, got {kind_of(node)}")
            return None
        if len(node.value) < min_items:
            out.add(node, path, f"needs at least {min_items} item(s), has {len(node.value)}")
        values = [item(child, f"{path}[{i}]", out) for i, child in enumerate(node.value)]
        return values

    return check


def mapping(fields: dict[str, tuple[bool, Checker]]) -> Checker:
    """A mapping with known fields: name → (required, checker). Unknown fields are problems."""

    def check(node: Node, path: str, out: FileProblems) -> dict | None:
        if not isinstance(node, MappingNode):
            out.add(node, path, f"expected a mapping, got {kind_of(node)}")
            return None
        pairs = mapping_pairs(node)
        values: dict[str, object] = {}
        for name, (required, checker) in fields.items():
            if name not in pairs:
                if required:
                    out.add(node, joined(path, name), "missing")
                continue
            key_node, value_node = pairs[name]
            if required and is_null(value_node):
                out.add(key_node, joined(path, name), "missing value")
                continue
            values[name] = checker(value_node, joined(path, name), out)
        for name, (key_node, _value) in pairs.items():
            if name not in fields:
                known = ", ".join(fields)
                out.add(key_node, joined(path, name), f"unknown field (known: {known})")
        return values

    return check


localized = mapping({"vi": (True, text), "en": (True, text)})
words = list_of(text)


def whole_number(node: Node, path: str, out: FileProblems) -> int | None:
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:int":
        return int(node.value)
    out.add(node, path, f"expected a whole number, got {kind_of(node)}")
    return None


def top_value(root: Node, key: str, out: FileProblems) -> Node | None:
    """The value under a top-level key, or None (with a problem) when it is absent."""
    if not isinstance(root, MappingNode):
        out.add(
            root, "", f"the file must be a mapping with '{key}:' at the top, got {kind_of(root)}"
        )
        return None
    pairs = mapping_pairs(root)
    if key not in pairs:
        out.add(root, key, "missing")
        return None
    return pairs[key][1]


def unknown_top_keys(root: Node, known: Iterable[str], out: FileProblems) -> None:
    if isinstance(root, MappingNode):
        allowed = set(known)
        for name, (key_node, _value) in mapping_pairs(root).items():
            if name not in allowed:
                out.add(key_node, name, f"unknown top-level key (known: {', '.join(known)})")


def entries_of(root: Node, key: str, out: FileProblems) -> list[tuple[str, Node]]:
    """(path, node) for each item of the top-level list `key`."""
    node = top_value(root, key, out)
    if node is None:
        return []
    if not isinstance(node, SequenceNode):
        out.add(node, key, f"expected a list, got {kind_of(node)}")
        return []
    return [(f"{key}[{i}]", item) for i, item in enumerate(node.value)]


def fold(value: str) -> str:
    """Folded the way matching compares words (bot.vocabulary.fold), without extra spaces."""
    return " ".join(vocabulary_fold(value).split())


def check_unique(items: Iterable[tuple], what: str, out: FileProblems) -> None:
    """Report a value written twice, or two values that match alike but mean different things.

    Items are (path, node, value) or (path, node, value, meaning); None values are skipped.
    Values equal after folding diacritics are fine when they mean the same (a phrase with and
    without diacritics), and a problem when they do not (matching could not tell them apart).
    """
    exact: dict[str, int] = {}
    folded: dict[str, tuple[int, object]] = {}
    for item in items:
        path, node, value = item[0], item[1], item[2]
        meaning = item[3] if len(item) > 3 else None
        if not isinstance(value, str) or not value:
            continue
        line = node.start_mark.line + 1
        key = value.casefold()
        if key in exact:
            out.add(node, path, f"duplicate {what} '{value}' (first at line {exact[key]})")
            continue
        exact[key] = line
        loose = fold(value)
        if loose in folded and folded[loose][1] != meaning:
            first_line, first_meaning = folded[loose]
            out.add(
                node,
                path,
                f"{what} '{value}' matches the same words as the one at line {first_line} "
                f"but belongs to '{meaning}', not '{first_meaning}'",
            )
            continue
        folded.setdefault(loose, (line, meaning))


def value_node_of(node: Node, name: str) -> Node:
    if isinstance(node, MappingNode):
        pair = mapping_pairs(node).get(name)
        if pair is not None:
            return pair[1]
    return node


# --- one function per file -----------------------------------------------------------------

def check_texts(root: Node, out: FileProblems) -> None:
    unknown_top_keys(root, ("texts",), out)
    texts = top_value(root, "texts", out)
    if texts is None:
        return
    if not isinstance(texts, MappingNode):
        out.add(texts, "texts", f"expected a mapping, got {kind_of(texts)}")
        return
    pairs = mapping_pairs(texts)
    for key in REQUIRED_TEXT_KEYS:
        if key not in pairs:
            out.add(texts, f"texts.{key}", "missing")
    for key, (_key_node, value_node) in pairs.items():
        path = f"texts.{key}"
        entry = localized(value_node, path, out)
        if not entry:
            continue
        names: dict[str, set[str]] = {}
        for lang in LANGUAGES:
            template = entry.get(lang)
            if template is None:
                continue
            try:
                names[lang] = placeholders(template)
            except ValueError as error:
                out.add(
                    value_node_of(value_node, lang), f"{path}.{lang}", f"bad placeholder: {error}"
                )
        if len(names) == 2 and names["vi"] != names["en"]:
            vi = ", ".join(sorted(names["vi"])) or "none"
            en = ", ".join(sorted(names["en"])) or "none"
            out.add(
                value_node_of(value_node, "en"),
                f"{path}.en",
                f"placeholders differ: vi has {{{vi}}}, en has {{{en}}}",
            )
