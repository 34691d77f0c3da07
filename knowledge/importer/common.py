"""Small text helpers shared by the record parsers.

The national procedure portal marks an empty cell with the literal text
"Không có thông tin" ("no information"); we treat that exactly like an empty
string so that downstream code only has to check for ``None``.
"""

from __future__ import annotations

import re

NO_INFO = "Không có thông tin"

# Placeholders the portal prints in a cell that holds nothing.
_EMPTY_MARKERS = {"", NO_INFO, "--", "-"}

_SPACES = re.compile(r"[ \t\u00a0]+")

# Issuer codes that end Vietnamese legal document numbers ("54/2014/QH13",
# "07/2026/TT-BNNMT").  Flattening glues the next word onto a number
# ("…/TT-BTCLuật …", "…/TT-BCAngày …"); knowing the codes tells where the
# number really ends.
ISSUER_CODES = frozenset(
    "CP TTg TTG BTC BCA NHNN BNNMT BNNPTNT BXD BTP BGTVT BCT BYT BKHCN BLĐTBXH BKHĐT "
    "BTNMT VPCP BQP BNG BNV BVHTTDL BTTTT BGDĐT UBCKNN TCHQ HĐND UBND TANDTC VKSNDTC "
    "KTNN BHXH TCT CTN NĐ NK XK LLTP".split()
)
_ASSEMBLY_CODE = re.compile(r"(?:UBTVQH|QH)\d+")


def clean(value: object) -> str | None:
    """Return the stripped text, or None when the source says nothing."""
    if value is None:
        return None
    text = str(value).strip()
    if text in _EMPTY_MARKERS:
        return None
    return text


def squash_spaces(text: str) -> str:
    """Collapse runs of spaces/tabs (newlines are kept: they carry structure)."""
    return _SPACES.sub(" ", text).strip()


def split_commas(value: object) -> list[str]:
    """Split a comma-joined list ("Cấp bộ, Cấp tỉnh") into stripped parts."""
    text = clean(value)
    if text is None:
        return []
    return [part.strip() for part in text.split(",") if part.strip()]


def matching_paren_end(text: str, start: int) -> int | None:
    """Index just past the ")" closing the "(" at ``start``; None if unbalanced.

    Fee descriptions nest parentheses ("(Đồng (Mức lệ phí ...))"), so a plain
    regex cannot find where they end.
    """
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def known_issuer_length(issuer: str) -> int | None:
    """Length of the longest known issuer code that ``issuer`` starts with.

    "BTCL" (from "…/TT-BTCLuật") -> 3; "BCA" -> 3; "QH13" -> 4; unknown -> None.
    """
    if _ASSEMBLY_CODE.fullmatch(issuer):
        return len(issuer)  # the National Assembly's term number belongs to it
    for length in range(len(issuer), 0, -1):
        if issuer[:length] in ISSUER_CODES:
            return length
    return None
