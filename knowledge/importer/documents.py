"""Parse ``thanh_phan_ho_so``: the documents to hand in.

The portal shows one table per case ("Trường hợp 1: ...", "* Giấy tờ phải
xuất trình:", or "--" when there is a single case).  Each table starts with the
header ``Tên giấy tờMẫu đơn, tờ khaiSố lượng`` and lists rows of
(name, form file, quantity); flattening lost every separator, so a row looks
like ``Tờ khai ... (mẫu CT01)Mẫu CT01.docx1 bản chính``.

Rows are delimited by the generated quantity ("1 bản chính", "0 bản chính,1 bản
sao", "1 bản sao").  The same words also occur inside names ("nộp 02 bản chính
tờ khai ..."), so a quantity only ends a row where it is not followed by text
that continues a sentence.
"""

from __future__ import annotations

import re

from knowledge.importer.common import clean, known_issuer_length
from knowledge.importer.document_cases import organize

HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"

# The generated quantity is a single digit (no record has more), so a digit
# run glued to it belongs to the name: "Mẫu số 181 bản chính" is
# "Mẫu số 18" + "1 bản chính".
_QUANTITY = re.compile(r"(\d) bản chính(?:,(\d) bản sao)?|(\d) bản sao")
# After an in-sentence "01 bản chính" comes punctuation or a lower-case word.
_CONTINUES_SENTENCE = re.compile(r"[;.,:)]| [a-zà-ỹđ0-9]")
# "01 bản chính Kế hoạch …": a zero-padded count is sentence text, not the
# generated quantity (which is never zero-padded).
_IN_TEXT_COUNT = re.compile(r"(?<!\d)0\d$")
# A quantity at the very end of a name, not zero-padded like sentence text.
_GLUED_QUANTITY = re.compile(r"(?<!\d)[1-9] bản (?:chính|sao)$")
_LEADING_BULLETS = "-+*•\uf0fc\uf0d8\uf0b7\t "

_FORM_EXTENSIONS = r"(?:docx|doc|pdf|xlsx|xls|rar|zip|rtf|odt)"
# Where a file name ends; ".doc" must not be read inside ".docx".
_EXTENSION = re.compile(
    r"\.(?:docx|xlsx|doc(?!x)|xls(?!x)|pdf|rar|zip|rtf|odt)", re.IGNORECASE
)
_ENDS_WITH_FILE = re.compile(r"\." + _FORM_EXTENSIONS + r"\s*$", re.IGNORECASE)
# Longest plausible file name between two chained extensions.
_MAX_CHAINED_FILE = 150
# A legal document number or a date, possibly glued to a file name after it.
_LEGAL_END = re.compile(
    r"\d{1,4}/\d{4}/[A-ZĐ]+\d*(?:-(?:TTg|[A-ZĐ]+\d*))*|\d{1,2}/\d{1,2}/\d{4}"
)


def parse_documents(text: object) -> dict:
    """Parse the documents field into case groups of items."""
    raw = clean(text)
    if raw is None or HEADER not in raw:
        # Nothing listed (or no table at all): we cannot say "no documents".
        return {"raw": raw, "ok": False, "groups": []}
    parts = raw.split(HEADER)
    groups = []
    ok = True
    heading = parts[0]
    for index, table in enumerate(parts[1:], start=1):
        items, trailing, table_ok = parse_table(table)
        is_last = index == len(parts) - 1
        if is_last and clean(trailing) is not None:
            # Text after the last quantity of the last table: a row whose
            # quantity is missing, or text from another field.
            items.append(unquantified_item(trailing))
            table_ok = False
        groups.append({"case": case_heading(heading), "items": items})
        ok = ok and table_ok
        heading = trailing
    return {"raw": raw, "ok": ok and all(group["items"] for group in groups),
            "groups": organize(groups)}


def parse_table(table: str) -> tuple[list[dict], str, bool]:
    """Split one table's text into items.

    Returns (items, text after the last quantity, ok).  That trailing text is
    the next table's case heading.
    """
    items = []
    ok = True
    position = 0
    for match in row_quantities(table):
        cell = table[position : match.start()]
        item = parse_item(cell, match)
        if _GLUED_QUANTITY.search(cell):
            # "….docx1 bản chính1 bản chính": rows without names, or a
            # quantity repeated?  Only "…: 01 bản chính" + quantity is clear.
            item["ok"] = False
        items.append(item)
        ok = ok and item["ok"]
        position = match.end()
    return items, table[position:], ok


def row_quantities(table: str) -> list[re.Match[str]]:
    """The quantity matches that end a row (not those inside a name)."""
    candidates = [
        match
        for match in _QUANTITY.finditer(table)
        if not _CONTINUES_SENTENCE.match(table, match.end())
        and not _IN_TEXT_COUNT.search(table, 0, match.start() + 1)
    ]
    # "…: 01 bản chính1 bản chính": the first belongs to the name.
    return [
        match
        for index, match in enumerate(candidates)
        if index + 1 == len(candidates) or candidates[index + 1].start() != match.end()
    ]


def parse_item(cell: str, quantity: re.Match[str]) -> dict:
    """One row: the name (with any form file split off) and its quantity."""
    name, form, form_ok = split_form(cell)
    return {
        "name": name,
        "form": form,
        "quantity": parse_quantity(quantity),
        "ok": form_ok and bool(name),
    }


def unquantified_item(text: str) -> dict:
    """A trailing row without a quantity; kept so no text is lost."""
    name, form, _ = split_form(text)
    return {"name": name, "form": form, "quantity": None, "ok": False}


def parse_quantity(match: re.Match[str]) -> dict:
    """"0 bản chính,1 bản sao" -> 0 originals, 1 copy."""
    if match.group(3) is not None:
        originals, copies = 0, int(match.group(3))
    else:
        originals = int(match.group(1))
        copies = int(match.group(2)) if match.group(2) is not None else 0
    return {"raw": match.group(0), "originals": originals, "copies": copies}


def case_heading(text: str) -> str | None:
    """The case a table applies to; "--" (single case) gives None."""
    heading = clean(text)
    if heading is None:
        return None
    heading = heading.strip(" -\t")
    return heading or None


def clean_name(text: str) -> str:
    """Strip whitespace and list bullets from a document name."""
    return " ".join(text.split()).lstrip(_LEADING_BULLETS).strip()


def split_form(cell: str) -> tuple[str, str | None, bool]:
    """Split "NAMEform file.docx" into (name, form, ok).

    Several forms may be chained ("Mau42.docxMau46.docx"); they are joined
    with "; ".  ``ok`` is False when the start of the first file name is not
    clear.
    """
    text = cell.strip()
    if not _ENDS_WITH_FILE.search(text):
        return clean_name(text), None, True
    ends = chained_file_ends(text)
    first_end = ends[0]
    first_ext = text.rfind(".", 0, first_end)
    start, certain = form_start(text[:first_ext])
    if start is None:
        return clean_name(text), None, False
    files = [text[start:first_end]]
    files += [text[begin:end] for begin, end in zip(ends, ends[1:], strict=False)]
    form = "; ".join(" ".join(name.split()) for name in files)
    return clean_name(text[:start]), form, certain


def chained_file_ends(text: str) -> list[int]:
    """End offsets of the file names that make up the tail of ``text``."""
    ends = [match.end() for match in _EXTENSION.finditer(text)]
    chain = [len(text)]
    for end in reversed(ends[:-1]):
        if chain[0] - end > _MAX_CHAINED_FILE:
            break
        chain.insert(0, end)
    return chain


def form_start(text: str) -> tuple[int | None, bool]:
    """Where the first file name starts in "NAMEfile" (extension removed).

    The name and the file were glued together, so we look for junctions
    where one word ends and another begins without a space.  "Strong"
    junctions (after ";", ")", ":", a sentence-ending "." or a legal document
    number) rarely occur inside file names, so the last one wins.  Without a
    strong junction the first "weak" one (lower-case -> upper-case, digit ->
    letter, "." -> letter) is used.  The choice is doubtful when another
    junction could instead be where the name ends (see ``rival_junction``).
    """
    strong, weak, doubtful = junctions(text)
    if strong:
        start = strong[-1]
        # "…sinh họcĐơn đề nghi.CSBT": a camel junction before the chosen one
        # may be the real start (names themselves hardly ever have one).
        camel_before = any(index < start and is_camel(text, index) for index in weak)
        certain = start not in doubtful and not camel_before
        camels = [index for index in weak if is_camel(text, index)]
        return start, certain and not rival_junction(text, start, camels)
    if weak:
        start = weak[0]
        return start, not rival_junction(text, start, weak)
    return None, False


def rival_junction(text: str, start: int, others: list[int]) -> bool:
    """True if a later junction could also be where the file name starts.

    It could when the text between reads like Vietnamese words (spaces and
    accents), not like one de-accented file name ("MauBankhaichung").
    """
    for index in others:
        stretch = text[start:index]
        if index > start and " " in stretch and not stretch.isascii():
            return True
    return False


def is_camel(text: str, index: int) -> bool:
    """A lower-case letter directly followed by a capital: "họcĐơn"."""
    return text[index - 1].islower() and text[index].isupper()


def junctions(text: str) -> tuple[list[int], list[int], set[int]]:
    """Candidate start offsets of a glued file name: (strong, weak, doubtful)."""
    strong: set[int] = set()
    weak: set[int] = set()
    doubtful: set[int] = set()
    for index in range(1, len(text)):
        before, char = text[index - 1], text[index]
        if char.isspace() or char in ";),.:-_/":
            continue
        before2 = text[index - 2] if index >= 2 else ""
        if before in ";):":
            strong.add(index)
        elif before == "." and (before2.islower() or before2 == ")"):
            (strong if char.isupper() or char.isdigit() else weak).add(index)
        elif before == "." and char.isalpha():
            weak.add(index)
        elif before.islower() and (char.isupper() or char.isdigit()):
            weak.add(index)
        elif before.isdigit() and char.isupper():
            weak.add(index)
    for match in _LEGAL_END.finditer(text):
        start, certain = legal_number_junction(text, match)
        if start is not None:
            strong.add(start)
            if not certain:
                doubtful.add(start)
    return sorted(strong), sorted(weak - strong), doubtful


def legal_number_junction(text: str, match: re.Match[str]) -> tuple[int | None, bool]:
    """Where a file name glued to a legal number or date starts, if it does.

    "…/2025/TT-NHNN.PHỤ LỤC" is clear.  Without the "." the issuer code may
    have swallowed the file's first letters ("…/TT-BTCMẪU", "…/NĐ-CPBC.x"),
    so the longest known issuer code at the start decides; an unknown code
    leaves the split doubtful.
    """
    end = match.end()
    if end < len(text) and text[end] == ".":
        end += 1
        return (end, True) if end < len(text) and text[end].isalpha() else (None, True)
    if end >= len(text) or not text[end].isalpha():
        return None, True  # a space, bracket or digit follows: no glued file name
    issuer = re.split(r"[/-]", match.group(0))[-1]
    if issuer.isdigit():
        # A date ("…26/01/2026Mau"): the next letter starts the file.
        return end, True
    known = known_issuer_length(issuer)
    if known is None:
        return (end - 1 if text[end].islower() else end), False
    return end - (len(issuer) - known), True

