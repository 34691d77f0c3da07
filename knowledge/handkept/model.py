"""Typed access to the hand-kept knowledge: contacts, guides, FAQ, aliases, intents, texts.

    from knowledge.handkept.model import load_handkept

    kb = load_handkept()                      # validates first, raises KnowledgeError
    kb.text("ask_which", count=3)             # "Có 3 thủ tục gần với câu hỏi của Bạn. ..."
    [c.name.vi for c in kb.shown_contacts]    # only confirmed contacts with a source

The files live under `knowledge/yaml/` and `knowledge/locales/`; their rules are in
`knowledge/handkept/schema.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.handkept.check import check_knowledge
from knowledge.handkept.schema import (
    ALIASES_FILE,
    CONTACTS_FILE,
    FAQ_FILE,
    GUIDES_FILE,
    INTENTS_FILE,
    SAFE_LOADER,
    TEXTS_FILE,
    KnowledgeError,
)

# Re-exported: the hand-kept files are read from here unless a root is given.
from knowledge.paths import KNOWLEDGE_DIR as PATHS_KNOWLEDGE_DIR

KNOWLEDGE_DIR = PATHS_KNOWLEDGE_DIR
DEFAULT_LANG = "vi"


@dataclass(frozen=True)
class Localized:
    """A short text in Vietnamese and English."""

    vi: str
    en: str

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

    url: str
    title: str
    checked: str


@dataclass(frozen=True)
class Contact:
    id: str
    name: Localized
    scope: str
    kind: str
    phone: str
    email: str
    url: str
    address: str
    hours: str
    note: Localized | None
    purpose: tuple[str, ...]
    keywords: tuple[str, ...]
    source: Source
    confirmed: bool

    @property
    def is_shown(self) -> bool:
        """Only a contact confirmed against a cited source may be shown to citizens."""
        return self.confirmed and bool(self.source.url)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Guide:
    id: str
    title: Localized
    summary: str
    steps: tuple[str, ...]
    links: tuple[Link, ...]
    keywords: tuple[str, ...]
    source: Source
    more_sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    examples: tuple[str, ...]
    answer: str
    source: Source
    more_sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Alias:
    """Everyday `terms` for the official wording `means` used in procedure names."""

    terms: tuple[str, ...]
    means: str
    note: str = ""


@dataclass(frozen=True)
class Abbreviation:
    """Chat shorthand (`short`, one token) for the words it `means`."""

    short: str
    means: str


@dataclass(frozen=True)
class IntentSpec:
    name: str
    description: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Qualifier:
    """A case a citizen names in a word (`says`), and how procedure names say it (`names`);
    `age_below`: an age under it ("con em mới 10 tuổi") names the case too."""

    says: tuple[str, ...]
    names: tuple[str, ...]
    age_below: int | None = None


@dataclass(frozen=True)
class FollowUpWords:
    """How a message is read against the conversation's procedure (intents.yaml)."""

    neutral: tuple[str, ...] = ()
    question_words: tuple[str, ...] = ()
    qualifiers: tuple[Qualifier, ...] = ()


@dataclass(frozen=True)
class HandKept:
    contacts: tuple[Contact, ...]
    guides: tuple[Guide, ...]
    faq: tuple[FaqEntry, ...]
    aliases: tuple[Alias, ...]
    abbreviations: tuple[Abbreviation, ...]
    intents: dict[str, IntentSpec]
    aspect_cues: dict[str, list[str]]
    texts: dict[str, dict[str, str]] = field(repr=False)
    follow_ups: FollowUpWords = FollowUpWords()

    @property
    def shown_contacts(self) -> tuple[Contact, ...]:
        return tuple(contact for contact in self.contacts if contact.is_shown)

    def contact(self, contact_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.id == contact_id), None)

    def text(self, key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
        """The text `key` in `lang` (Vietnamese when that language is missing), formatted.

        Raises KeyError naming the key when it does not exist, or the placeholder when a
        value for it is not given.
        """
        try:
            variants = self.texts[key]
        except KeyError:
            raise KeyError(f"no text '{key}' in {TEXTS_FILE}") from None
        template = variants.get(lang) or variants[DEFAULT_LANG]
        try:
            return template.format(**values)
        except KeyError as missing:
            raise KeyError(f"text '{key}' needs a value for {missing}") from None


def load_handkept(root: Path = KNOWLEDGE_DIR) -> HandKept:
    """Validate and load the hand-kept knowledge under `root`; raise KnowledgeError if wrong."""
    problems = check_knowledge(root)
    if problems:
        raise KnowledgeError(problems)

    contacts = _read(root, CONTACTS_FILE)["contacts"]
    guides = _read(root, GUIDES_FILE)["guides"]
    faq = _read(root, FAQ_FILE)["faq"]
    aliases = _read(root, ALIASES_FILE)
    intents = _read(root, INTENTS_FILE)
    texts = _read(root, TEXTS_FILE)["texts"]
    return HandKept(
        contacts=tuple(_contact(entry) for entry in contacts),
        guides=tuple(_guide(entry) for entry in guides),
        faq=tuple(_faq(entry) for entry in faq),
        aliases=tuple(
            Alias(tuple(a["terms"]), a["means"], a.get("note") or "")
            for a in aliases.get("aliases") or ()
        ),
        abbreviations=tuple(
            Abbreviation(str(a["short"]), a["means"]) for a in aliases.get("abbreviations") or ()
        ),
        intents={
            name: IntentSpec(name, spec["description"], tuple(spec["examples"]))
            for name, spec in intents["intents"].items()
        },
        aspect_cues={name: list(cues) for name, cues in intents["aspects"].items()},
        texts={key: {lang: str(value) for lang, value in v.items()} for key, v in texts.items()},
        follow_ups=_follow_ups(intents["follow_ups"]),
    )


def _follow_ups(value: dict) -> FollowUpWords:
    return FollowUpWords(
        neutral=tuple(value["neutral"]),
        question_words=tuple(value["question_words"]),
        qualifiers=tuple(Qualifier(tuple(q["says"]), tuple(q["names"]), q.get("age_below"))
                         for q in value["qualifiers"]),
    )


def _read(root: Path, relative: str) -> dict:
    with (root / relative).open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=SAFE_LOADER)


def _text(value: object) -> str:
    """Strings as written; an empty YAML value (None) becomes ''."""
    return "" if value is None else str(value).strip()


def _localized(value: dict) -> Localized:
    return Localized(_text(value["vi"]), _text(value["en"]))


def _optional_localized(value: dict | None) -> Localized | None:
    return _localized(value) if value else None


def _source(value: dict) -> Source:
    # Unquoted dates load as datetime.date; str() gives the same YYYY-MM-DD text.
    return Source(_text(value.get("url")), _text(value.get("title")), _text(value.get("checked")))


def _contact(entry: dict) -> Contact:
    return Contact(
        id=entry["id"],
        name=_localized(entry["name"]),
        scope=entry["scope"],
        kind=entry["kind"],
        phone=_text(entry.get("phone")),
        email=_text(entry.get("email")),
        url=_text(entry.get("url")),
        address=_text(entry.get("address")),
        hours=_text(entry.get("hours")),
        note=_optional_localized(entry.get("note")),
        purpose=tuple(entry["purpose"]),
        keywords=tuple(entry["keywords"]),
        source=_source(entry["source"]),
        confirmed=bool(entry["confirmed"]),
    )


def _guide(entry: dict) -> Guide:
    return Guide(
        id=entry["id"],
        title=_localized(entry["title"]),
        summary=_text(entry["summary"]),
        steps=tuple(_text(step) for step in entry["steps"]),
        links=tuple(Link(_text(link["label"]), _text(link["url"])) for link in entry["links"]),
        keywords=tuple(entry["keywords"]),
        source=_source(entry["source"]),
        more_sources=tuple(_source(s) for s in entry.get("more_sources") or ()),
    )


def _faq(entry: dict) -> FaqEntry:
    return FaqEntry(
        id=entry["id"],
        question=_text(entry["question"]),
        examples=tuple(entry["examples"]),
        answer=_text(entry["answer"]),
        source=_source(entry["source"]),
        more_sources=tuple(_source(s) for s in entry.get("more_sources") or ()),
    )
