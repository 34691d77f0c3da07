"""Typed access to the hand-kept knowledge: contacts, guides, FAQ, aliases, intents, texts.

    from knowledge.handkept.model import load_handkept

    kb = load_handkept()                      # validates first, raises KnowledgeError
    kb.text("ask_which", count=3)             # "Có 3 thủ tục gần với câu hỏi của Bạn. ..."
    [c.name.vi for c in kb.shown_contacts]    # only confirmed contacts with a source

The files live under `knowledge/yaml/` and `knowledge/locales/`; their rules are in
`knowledge/handkept/schema.py`, and the entries of contacts, guides and FAQ are declared once,
with their checks, in `knowledge/handkept/entries.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.handkept.check import check_knowledge
from knowledge.handkept.entries import (  # noqa: F401  (the entry types: re-exported)
    Abbreviation,
    Alias,
    Contact,
    FaqEntry,
    FollowUpWords,
    Guide,
    Link,
    Localized,
    Qualifier,
    Source,
    build,
)
from knowledge.handkept.schema import (
    ALIASES_FILE,
    CONTACTS_FILE,
    DEFAULT_LANG,
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


@dataclass(frozen=True)
class IntentSpec:
    name: str
    description: str
    examples: tuple[str, ...]


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
        contacts=tuple(build(Contact, entry) for entry in contacts),
        guides=tuple(build(Guide, entry) for entry in guides),
        faq=tuple(build(FaqEntry, entry) for entry in faq),
        aliases=tuple(build(Alias, a) for a in aliases.get("aliases") or ()),
        abbreviations=tuple(build(Abbreviation, a) for a in aliases.get("abbreviations") or ()),
        intents={
            name: IntentSpec(name, spec["description"], tuple(spec["examples"]))
            for name, spec in intents["intents"].items()
        },
        aspect_cues={name: list(cues) for name, cues in intents["aspects"].items()},
        texts={key: {lang: str(value) for lang, value in v.items()} for key, v in texts.items()},
        follow_ups=build(FollowUpWords, intents["follow_ups"]),
    )


def _read(root: Path, relative: str) -> dict:
    with (root / relative).open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=SAFE_LOADER)
