"""The entries of the hand-kept files, each declared once: a dataclass whose fields say how the
YAML is checked (`part(check)`) and what it becomes. From that one declaration come both the
checker (`checker(Contact)`, which names every problem with its line, as schema.mapping does)
and the typed objects (`build(Contact, data)`):

    problems = FileProblems("yaml/contacts.yaml")
    checker(Contact)(node, "contacts[0]", problems)       # the values, or problems
    contact = build(Contact, {"id": "dvc", ...})           # a Contact

A field with no default is required; one with a default may be left out. The files' own
rules (unique ids and terms, what a confirmed contact needs, examples per intent) are the
check_* functions below, one per file: contacts, guides, FAQ, aliases, intents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from knowledge.handkept.schema import (
    ASPECTS,
    CONTACT_KINDS,
    CONTACT_PURPOSES,
    CONTACT_SCOPES,
    DEFAULT_LANG,
    INTENTS,
    MAX_FAQ_ANSWER_CHARS,
    MIN_INTENT_EXAMPLES,
    VALUE_OF_KIND,
    Checker,
    FileProblems,
    boolean,
    check_unique,
    date,
    email,
    entries_of,
    kind_of,
    list_of,
    mapping,
    mapping_pairs,
    one_of,
    optional_text,
    phone,
    required_url,
    slug,
    text,
    top_value,
    unknown_top_keys,
    url,
    value_node_of,
    whole_number,
    words,
)


def part(check: Checker, *, model: type | None = None, many: bool = False,
         default: Any = MISSING) -> Any:
    """A field read from the YAML: `check` says what is valid; `model` is the entry type a
    nested mapping becomes (a list of them with `many`)."""
    metadata = {"check": check, "model": model, "many": many}
    if default is MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


def checker(cls: type, *, all_required: bool = False, **checks: Checker) -> Checker:
    """The mapping checker of an entry type (`checks` override a field's own check;
    `all_required`: a file must give even the fields that have a default in code)."""
    return mapping({f.name: (all_required or f.default is MISSING,
                             checks.get(f.name, f.metadata["check"])) for f in fields(cls)})


def build(cls: type, data: Mapping[str, Any]) -> Any:
    """The entry from a checked mapping (as PyYAML loads it): text stripped, an empty value
    ''; lists as tuples; nested mappings as their model."""
    values = {}
    for f in fields(cls):
        if f.name not in data or data[f.name] is None:
            if f.default is MISSING:
                values[f.name] = _plain(None)
            continue
        raw, model = data[f.name], f.metadata["model"]
        if model is not None and f.metadata["many"]:
            values[f.name] = tuple(build(model, item) for item in raw)
        elif model is not None:
            values[f.name] = build(model, raw)
        else:
            values[f.name] = _plain(raw)
    return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_plain(item) for item in value)
    if isinstance(value, (bool, int)):
        return value
    # Unquoted dates load as datetime.date; str() gives the same YYYY-MM-DD text.
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class Localized:
    """A short text in Vietnamese and English."""

    vi: str = part(text)
    en: str = part(text)

    def get(self, lang: str = DEFAULT_LANG) -> str:
        """The text in `lang`, Vietnamese for any other language."""
        return self.en if lang == "en" else self.vi

    def __getitem__(self, lang: str) -> str:
        """`name["vi"]`, as for the plain {vi, en} mapping in the YAML."""
        if lang not in ("vi", "en"):
            raise KeyError(lang)
        return self.get(lang)


@dataclass(frozen=True)
class Source:
    """Where a fact was read, and when; empty strings for a template not filled in yet."""

    url: str = part(url)
    title: str = part(optional_text)
    checked: str = part(date)


LOCALIZED = checker(Localized)
# A contact may be a template waiting for its source; a guide or an answer may not.
SOURCE = checker(Source)
REQUIRED_SOURCE = checker(Source, url=required_url, title=text)


@dataclass(frozen=True)
class Link:
    label: str = part(text)
    url: str = part(required_url)


@dataclass(frozen=True, kw_only=True)
class Contact:
    id: str = part(slug)
    name: Localized = part(LOCALIZED, model=Localized)
    scope: str = part(one_of(CONTACT_SCOPES))
    kind: str = part(one_of(CONTACT_KINDS))
    phone: str = part(phone, default="")
    email: str = part(email, default="")
    url: str = part(url, default="")
    address: str = part(optional_text, default="")
    hours: str = part(optional_text, default="")
    note: Localized | None = part(LOCALIZED, model=Localized, default=None)
    purpose: tuple[str, ...] = part(list_of(one_of(CONTACT_PURPOSES)))
    keywords: tuple[str, ...] = part(words)
    source: Source = part(SOURCE, model=Source)
    confirmed: bool = part(boolean)

    @property
    def is_shown(self) -> bool:
        """Only a contact confirmed against a cited source may be shown to citizens."""
        return self.confirmed and bool(self.source.url)


@dataclass(frozen=True, kw_only=True)
class Guide:
    id: str = part(slug)
    title: Localized = part(LOCALIZED, model=Localized)
    summary: str = part(text)
    steps: tuple[str, ...] = part(words)
    links: tuple[Link, ...] = part(list_of(checker(Link), min_items=0), model=Link, many=True)
    keywords: tuple[str, ...] = part(words)
    source: Source = part(REQUIRED_SOURCE, model=Source)
    more_sources: tuple[Source, ...] = part(list_of(REQUIRED_SOURCE), model=Source, many=True,
                                            default=())


def _faq_answer(node: Node, path: str, out: FileProblems) -> str | None:
    value = text(node, path, out)
    if value is not None and len(value) > MAX_FAQ_ANSWER_CHARS:
        out.add(node, path, f"is {len(value)} characters long; keep it to {MAX_FAQ_ANSWER_CHARS}")
    return value


@dataclass(frozen=True, kw_only=True)
class FaqEntry:
    id: str = part(slug)
    question: str = part(text)
    examples: tuple[str, ...] = part(words)
    answer: str = part(_faq_answer)
    source: Source = part(REQUIRED_SOURCE, model=Source)
    more_sources: tuple[Source, ...] = part(list_of(REQUIRED_SOURCE), model=Source, many=True,
                                            default=())


@dataclass(frozen=True, kw_only=True)
class Alias:
    """Everyday `terms` for the official wording `means` used in procedure names."""

    terms: tuple[str, ...] = part(words)
    means: str = part(text)
    note: str = part(text, default="")


@dataclass(frozen=True, kw_only=True)
class Abbreviation:
    """Chat shorthand (`short`, one token) for the words it `means`."""

    short: str = part(text)
    means: str = part(text)


@dataclass(frozen=True, kw_only=True)
class Qualifier:
    """A case a citizen names in a word (`says`), and how procedure names say it (`names`);
    `age_below`: an age under it ("con em mới 10 tuổi") names the case too."""

    says: tuple[str, ...] = part(words)
    names: tuple[str, ...] = part(words)
    age_below: int | None = part(whole_number, default=None)


@dataclass(frozen=True, kw_only=True)
class FollowUpWords:
    """How a message is read against the conversation's procedure (intents.yaml)."""

    neutral: tuple[str, ...] = part(words, default=())
    question_words: tuple[str, ...] = part(words, default=())
    qualifiers: tuple[Qualifier, ...] = part(list_of(checker(Qualifier)), model=Qualifier,
                                             many=True, default=())


# --- the files ---------------------------------------------------------------------------

def check_contacts(root: Node, out: FileProblems) -> None:
    unknown_top_keys(root, ("contacts",), out)
    check = checker(Contact)
    ids = []
    for path, node in entries_of(root, "contacts", out):
        entry = check(node, path, out)
        if not entry:
            continue
        ids.append((f"{path}.id", value_node_of(node, "id"), entry.get("id")))
        if entry.get("confirmed") is True:
            _check_confirmed_contact(node, path, entry, out)
    check_unique(ids, "id", out)


def _check_confirmed_contact(node: Node, path: str, entry: dict, out: FileProblems) -> None:
    src = entry.get("source") or {}
    src_node = value_node_of(node, "source")
    if "source" in entry and not src.get("url"):
        out.add(value_node_of(src_node, "url"), f"{path}.source.url",
                "confirmed: true needs a source url")
    if "source" in entry and not src.get("checked"):
        out.add(value_node_of(src_node, "checked"), f"{path}.source.checked",
                "confirmed: true needs the date the source was checked")
    needed = VALUE_OF_KIND.get(entry.get("kind") or "")
    if needed and not entry.get(needed):
        out.add(value_node_of(node, "confirmed"), f"{path}.{needed}",
                f"a confirmed {entry['kind']} contact must have its {needed}")


def _check_entries_with_ids(key: str, cls: type) -> Callable[[Node, FileProblems], None]:
    def check_file(root: Node, out: FileProblems) -> None:
        unknown_top_keys(root, (key,), out)
        check = checker(cls)
        ids = []
        for path, node in entries_of(root, key, out):
            entry = check(node, path, out)
            if entry:
                ids.append((f"{path}.id", value_node_of(node, "id"), entry.get("id")))
        check_unique(ids, "id", out)

    return check_file


check_guides = _check_entries_with_ids("guides", Guide)
check_faq = _check_entries_with_ids("faq", FaqEntry)


def check_aliases(root: Node, out: FileProblems) -> None:
    unknown_top_keys(root, ("aliases", "abbreviations"), out)
    alias = checker(Alias)
    terms = []
    for path, node in entries_of(root, "aliases", out):
        entry = alias(node, path, out)
        if not entry or not isinstance(entry.get("terms"), list):
            continue
        terms_node = value_node_of(node, "terms")
        for i, term in enumerate(entry["terms"]):
            term_node = terms_node.value[i] if isinstance(terms_node, SequenceNode) else node
            terms.append((f"{path}.terms[{i}]", term_node, term, entry.get("means")))
    check_unique(terms, "term", out)

    abbreviation = checker(Abbreviation)
    shorts = []
    for path, node in entries_of(root, "abbreviations", out):
        entry = abbreviation(node, path, out)
        if entry:
            shorts.append(
                (
                    f"{path}.short",
                    value_node_of(node, "short"),
                    entry.get("short"),
                    entry.get("means"),
                )
            )
    check_unique(shorts, "abbreviation", out)


# In the file every part of follow_ups is required (the defaults serve a HandKept made in code).
_FOLLOW_UPS = checker(FollowUpWords, all_required=True)


def _check_follow_ups(root: Node, out: FileProblems) -> None:
    """Neutral words said once each; a qualifier's phrase in one qualifier only."""
    node = top_value(root, "follow_ups", out)
    if node is None:
        return
    entry = _FOLLOW_UPS(node, "follow_ups", out)
    if not entry:
        return
    neutral_node = value_node_of(node, "neutral")
    if isinstance(entry.get("neutral"), list) and isinstance(neutral_node, SequenceNode):
        check_unique([(f"follow_ups.neutral[{i}]", neutral_node.value[i], word)
                       for i, word in enumerate(entry["neutral"])], "neutral word", out)
    qualifiers_node = value_node_of(node, "qualifiers")
    said = []
    for i, qualifier in enumerate(entry.get("qualifiers") or []):
        if not qualifier or not isinstance(qualifier.get("says"), list):
            continue
        says_node = value_node_of(qualifiers_node.value[i], "says")
        said.extend((f"follow_ups.qualifiers[{i}].says[{j}]", says_node.value[j], phrase, i)
                    for j, phrase in enumerate(qualifier["says"]))
    check_unique(said, "qualifier phrase", out)


def check_intents(root: Node, out: FileProblems) -> None:
    unknown_top_keys(root, ("intents", "aspects", "follow_ups"), out)
    _check_follow_ups(root, out)
    intent = mapping({"description": (True, text), "examples": (True, words)})
    intents = top_value(root, "intents", out)
    if isinstance(intents, MappingNode):
        examples = []
        for name, path, value_node in _each_known(intents, "intents", INTENTS, "intent", out):
            entry = intent(value_node, path, out)
            found = entry.get("examples") if entry else None
            if isinstance(found, list):
                if len(found) < MIN_INTENT_EXAMPLES:
                    out.add(
                        value_node_of(value_node, "examples"),
                        f"{path}.examples",
                        f"has {len(found)} examples; needs at least {MIN_INTENT_EXAMPLES}",
                    )
                ex_node = value_node_of(value_node, "examples")
                for i, example in enumerate(found):
                    examples.append((f"{path}.examples[{i}]", ex_node.value[i], example, name))
        check_unique(examples, "example", out)
    elif intents is not None:
        out.add(intents, "intents", f"expected a mapping, got {kind_of(intents)}")

    aspects = top_value(root, "aspects", out)
    if isinstance(aspects, MappingNode):
        all_cues = []
        for name, path, value_node in _each_known(aspects, "aspects", ASPECTS, "aspect", out):
            cues = words(value_node, path, out)
            if isinstance(cues, list):
                all_cues.extend(
                    (f"{path}[{i}]", value_node.value[i], cue, name) for i, cue in enumerate(cues)
                )
        check_unique(all_cues, "cue", out)
    elif aspects is not None:
        out.add(aspects, "aspects", f"expected a mapping, got {kind_of(aspects)}")


def _each_known(node: MappingNode, key: str, known: Sequence[str], what: str,
                out: FileProblems) -> Iterator[tuple[str, str, Node]]:
    """(name, path, value node) of each known name under `key`; a known name missing and an
    unknown one are problems."""
    pairs = mapping_pairs(node)
    for name in known:
        if name not in pairs:
            out.add(node, f"{key}.{name}", "missing")
    for name, (key_node, value_node) in pairs.items():
        if name not in known:
            out.add(key_node, f"{key}.{name}", f"unknown {what} (known: {', '.join(known)})")
            continue
        yield name, f"{key}.{name}", value_node
