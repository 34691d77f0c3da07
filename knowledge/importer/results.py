"""Parse ``ket_qua_xu_ly``: what the citizen receives at the end.

The text is a run of ``NAMEMã: CODE`` pairs with no separator between one
code and the next name, followed by page furniture that starts at "Từ khóa"
(keywords, description, the agency picker, the "Nộp hồ sơ" button).
"""

from __future__ import annotations

import re

from knowledge.importer.common import clean

FURNITURE_START = "Từ khóa"
_CODE_LABEL = re.compile(r"Mã:\s*")
# A code is letters, digits, ".", "-" and "_" and ends in a digit; the next
# result's name starts right after it ("KQ.G12.000327Giấy phép ...").
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\d")
# Result codes as the national database issues them; anything else (test
# values such as "sfbkjas" or "1212") is kept but not trusted.
_OFFICIAL_CODE = re.compile(
    r"(?:KQ|TP)[.-][GH]\d{2}[.-](?:KQ[.-]?)?\d{4,8}"
    r"|\d{3}\.\d{2}\.\d{2}\.[GH]\d{2}-KQ\.?\d{4,6}"
    r"|[GH]\d{2}-KQ\d{6,7}",
    re.IGNORECASE,
)
_NAME_EDGES = " \t\n-+*•.;,/:"


def parse_results(text: object) -> dict:
    """Parse the results field; furniture after "Từ khóa" is dropped from raw."""
    raw = strip_furniture(text)
    if raw is None:
        return {"raw": None, "ok": False, "items": []}
    labels = list(_CODE_LABEL.finditer(raw))
    if not labels:
        # A name without a code: keep it, but it is not the expected shape.
        return {"raw": raw, "ok": False, "items": [{"name": clean_name(raw), "code": None}]}
    items = []
    ok = True
    name_start = 0
    for index, label in enumerate(labels):
        name = clean_name(raw[name_start : label.start()])
        is_last = index + 1 == len(labels)
        segment_end = len(raw) if is_last else labels[index + 1].start()
        code, code_end, certain = read_code(raw, label.end(), segment_end, is_last)
        items.append({"name": name, "code": code})
        ok = ok and bool(name) and certain
        name_start = code_end
    return {"raw": raw, "ok": ok, "items": items}


def read_code(raw: str, start: int, end: int, is_last: bool) -> tuple[str | None, int, bool]:
    """Read the code after "Mã:"; returns (code, where the next name starts, certain).

    An official code tells exactly where the next name begins.  After the last
    label nothing follows, so any short token is the code; a longer text there
    is a description, not a code.  An unofficial code ("000.00.00.KQ-1309") ends
    at its last digit, which is certain only if a new word clearly starts there.
    """
    official = _OFFICIAL_CODE.match(raw, start, end)
    if official and not raw[official.end() : official.end() + 1].isdigit():
        return official.group(0), official.end(), True
    if is_last:
        token = raw[start:end].strip().rstrip(".;")
        code = token if token and " " not in token and len(token) <= 30 else None
        return code, end, True
    guess = _CODE.match(raw, start, end)
    if guess is None:
        return None, start, False
    return guess.group(0), guess.end(), starts_new_name(raw[guess.end() : guess.end() + 2])


def starts_new_name(text: str) -> bool:
    """True if ``text`` clearly opens a new name rather than continuing a code.

    "Công văn …" (capital then lower case) or "+ Công …" do; "QK…" might still
    be part of an unofficial code.
    """
    if not text:
        return True
    first = text[0]
    if first.isdigit():
        return False
    if not (first.isascii() and first.isalpha()):
        return True
    return first.isupper() and text[1:2].islower()


def strip_furniture(text: object) -> str | None:
    """The part of the field before "Từ khóa", or None when empty."""
    raw = clean(text)
    if raw is None:
        return None
    cut = raw.find(FURNITURE_START)
    return clean(raw[:cut]) if cut >= 0 else raw


def clean_name(text: str) -> str:
    """Strip bullets and trailing punctuation the flattening left around a name."""
    return " ".join(text.split()).strip(_NAME_EDGES)
