"""The documents answer: the case every citizen needs first, then a page at a time.

The importer marks each item a document, a note or a sub-heading, and the cases every citizen
needs as general (knowledge/importer/document_cases.py). The answer shows those cases'
documents whole, a page a message ("Xem tiếp" for the next, never a silent "…"), and the
other cases as buttons. When every case is a situation of its own (permanent residence: own
home, rented, a boat…), the citizen picks one: nothing is guessed.

Example: page(record, t) -> DocumentPage(lines, next_start, cases); a button "docs:CODE:g:8"
asks for the general case from its ninth line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from handlers.procedure_facts import common_prefix_words, distinct_labels
from handlers.wording import shorten, shorten_document
from knowledge.importer.document_cases import (
    DOCUMENT,
    HEADING,
    INSTRUCTION,
    NOTE,
    has_documents,
)

Text = Callable[..., str]

GENERAL = "g"
# A page of documents, unless the caller says how much room the message leaves.
PAGE_CHARS = 450
ITEM_CHARS = 170
CASE_LABEL_CHARS = 120


@dataclass(frozen=True)
class _Entry:
    """One line of a documents page: a paper with its quantity, or a sub-heading."""

    text: str
    quantity: str | None = None
    heading: bool = False

    @property
    def line(self) -> str:
        return f"{self.text} ({self.quantity})" if self.quantity else self.text

    def shortened(self, limit: int) -> str:
        """The line in `limit` characters: the words are cut, never the quantity."""
        suffix = self.line[len(self.text):]
        return shorten(self.text, max(limit - len(suffix), 40)) + suffix


@dataclass(frozen=True)
class DocumentPage:
    lines: tuple[str, ...]
    # Where the next page starts, if there is one; and how many entries it leaves.
    next_start: int | None
    remaining: int
    # The cases not shown, as (case id, label), for buttons.
    other_cases: tuple[tuple[str, str], ...]
    # No case is everyone's: the citizen is asked to choose one.
    choosing: bool = False


def payload(code: str, case: str, start: int = 0) -> str:
    return f"docs:{code}:{case}:{start}"


def parse_payload(rest: str) -> tuple[str, str, int] | None:
    """(code, case, start) from what follows "docs:", or None if it is not well formed."""
    parts = rest.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    code, case, start = parts[0], parts[1], int(parts[2])
    if case != GENERAL and not case.isdigit():
        return None
    return code, case, start


def groups_of(record: Mapping) -> list[Mapping]:
    return list((record.get("documents") or {}).get("groups") or [])


def has_cases(record: Mapping) -> bool:
    return sum(1 for group in groups_of(record) if has_documents(group)) > 1


def page(record: Mapping, t: Text, case: str = GENERAL, start: int = 0,
         room: int = PAGE_CHARS) -> DocumentPage | None:
    """A page of the case asked (the general one by default) in `room` characters, or None if
    that case is not in the record (a stale button)."""
    groups = groups_of(record)
    general = [i for i, group in enumerate(groups) if group.get("general")]
    if case == GENERAL:
        shown = general
        lead = [t("documents.general")] if has_cases(record) and general else []
    elif case.isdigit() and int(case) < len(groups) and has_documents(groups[int(case)]):
        shown = [int(case)]
        lead = [t("documents.case", case=_label(groups[int(case)], t))]
    else:
        return None
    others = tuple((str(i), shorten(_without_name(_label(group, t), record["name"]),
                                    CASE_LABEL_CHARS))
                   for i, group in enumerate(groups)
                   if i not in shown and not group.get("general") and has_documents(group))
    if not shown and not others:
        return DocumentPage((t("documents.none"),), None, 0, ())
    if not shown:
        # No case is everyone's: the citizen chooses.
        return DocumentPage((t("documents.choose_case", count=len(others)),), None, 0, others,
                            choosing=True)
    entries = _entries([groups[i] for i in shown], t, labelled=len(shown) > 1)
    notes = sum(1 for i in shown for item in groups[i].get("items") or []
                if item.get("kind") == NOTE)
    notes_line = t("documents.notes", count=notes) if notes else ""
    room -= sum(len(line) + 1 for line in lead)
    lines, end = _fill(entries, start, room)
    if end >= len(entries) and notes_line and \
            sum(len(line) + 1 for line in lines) + len(notes_line) + 1 <= room:
        lines.append(notes_line)
    next_start = end if end < len(entries) else None
    return DocumentPage(tuple(lead + lines), next_start, len(entries) - end, others)


def _distinct_names(documents: list[Mapping]) -> list[str]:
    """The papers' names shortened so that none reads like another where their words allow;
    a paper listed twice word for word stays as it is (no number is made up for it)."""
    names = [str(item.get("name") or "") for item in documents]
    keys = [f"#{i}" for i in range(len(names))]
    labels = distinct_labels(names, keys, ITEM_CHARS)
    # Where no other paper shares its opening, a description that names its paper last
    # keeps how it ends.
    return [shorten_document(name, ITEM_CHARS)
            if label.endswith(f"({key})") or label == shorten(name, ITEM_CHARS) else label
            for name, key, label in zip(names, keys, labels, strict=True)]


def item_line(item: Mapping, t: Text, name: str | None = None) -> str:
    return _item_entry(item, t, name).line


def _item_entry(item: Mapping, t: Text, name: str | None = None) -> _Entry:
    return _Entry("• " + (name or shorten_document(str(item.get("name") or ""), ITEM_CHARS)),
                  quantity_text(item.get("quantity"), t))


def quantity_text(quantity: Mapping | None, t: Text) -> str | None:
    """"0 bản chính,1 bản sao" read as a person would: "1 bản sao"."""
    if not quantity:
        return None
    originals, copies = quantity.get("originals") or 0, quantity.get("copies") or 0
    if originals and copies:
        return t("documents.originals_and_copies", originals=originals, copies=copies)
    if originals:
        return t("documents.originals", count=originals)
    if copies:
        return t("documents.copies", count=copies)
    return None


def _entries(groups: Sequence[Mapping], t: Text, labelled: bool) -> list[_Entry]:
    entries: list[_Entry] = []
    for group in groups:
        if labelled and group.get("case"):
            entries.append(_Entry(f"▸ {shorten(_label(group, t), CASE_LABEL_CHARS)}:",
                                  heading=True))
        items = list(group.get("items") or [])
        documents = [item for item in items if item.get("kind", DOCUMENT) == DOCUMENT]
        # Papers that begin alike ("Bản sao kèm bản chính để đối chiếu …") lose the words
        # they share, not the words that name them.
        names = dict(zip((id(item) for item in documents),
                         _distinct_names(documents), strict=True))
        for item in items:
            kind = item.get("kind", DOCUMENT)
            if kind == DOCUMENT:
                entries.append(_item_entry(item, t, names[id(item)]))
            elif kind == HEADING:
                entries.append(_Entry("▸ " + shorten(str(item.get("name") or ""), ITEM_CHARS),
                                      heading=True))
            elif kind == INSTRUCTION:
                entries.append(_Entry("ℹ️ " + " ".join(str(item["name"]).split())))
    return entries


def _fill(entries: list[_Entry], start: int, room: int) -> tuple[list[str], int]:
    """Lines of the entries from `start` that fit in `room` (one at least), and where the
    next page starts."""
    lines: list[str] = []
    used = 0
    end = min(start, len(entries))
    while end < len(entries):
        line = entries[end].line
        if not lines and len(line) + 1 > room:
            # The page's only entry is longer than the room.
            line = entries[end].shortened(room - 1)
        cost = len(line) + 1
        if lines and used + cost > room:
            break
        lines.append(line)
        used += cost
        end += 1
    ends_on_heading = bool(lines) and entries[end - 1].heading and end < len(entries)
    if ends_on_heading and len(lines) > 1:
        # A heading is never the last line of a page: it goes with its items.
        lines.pop()
        end -= 1
    elif ends_on_heading:
        # A page of a heading alone: its first item comes with it, the two shortened to fit.
        item = entries[end].line
        if len(lines[-1]) + len(item) + 2 > room:
            lines[-1] = shorten(lines[-1], max(room // 2, 40))
            item = entries[end].shortened(max(room - len(lines[-1]) - 2, 40))
        lines.append(item)
        end += 1
    return lines, end


def _without_name(label: str, name: str) -> str:
    """A case label without the procedure's name it starts with ("Đăng ký thường trú vào
    chỗ ở … do thuê, mượn" -> "Vào chỗ ở … do thuê, mượn"): on a button, the case is what
    tells it apart."""
    words, named = label.split(), name.split()
    size = common_prefix_words(words, named)
    rest = " ".join(words[size:]) if size == len(named) else ""
    return rest[:1].upper() + rest[1:] if len(rest) >= 8 else label


def _label(group: Mapping, t: Text) -> str:
    return group.get("label") or group.get("case") or t("documents.unnamed_case")
