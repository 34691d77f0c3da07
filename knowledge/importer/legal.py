"""Parse ``can_cu_phap_ly``: the legal basis as (title, number) pairs.

The two-column table "Tên văn bản pháp lý | Mã văn bản" was flattened, so a
row's number is glued to its title and to the next title:
``Luật 54/2014/QH1354/2014/QH13Thông tư 92/2015/TT-BTC92/2015/TT-BTC``.

A number that ends a row (the "number cell") is recognised by how it sits in
the text: it is glued to what comes before it (the cell separator vanished),
while a number quoted inside a title follows a space ("Thông tư số 53/…") and
is followed by more title text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.importer.common import clean, known_issuer_length

HEADER = "Tên văn bản pháp lýMã văn bản"

_ISSUER = r"(?:TTg|(?:UBTVQH|QH)\d{2}|[A-ZĐ]+)"
# "54/2014/QH13", "66.7/2025/NQ-CP", "2628/QĐ-BTC", "07/2021/TT-BLĐTBXH".
# The National Assembly code takes exactly two digits ("QH13"), so the next
# row's digits are not swallowed ("QH1354/2014/…").
_NUMBER = re.compile(
    r"(?:\d{1,3}\.\d{1,3}|\d{1,5})/(?:\d{4}/)?" + _ISSUER + r"(?:-" + _ISSUER + r")*"
)
# A year glued before a number: "năm 2024" + "48/2024/QH15".
_YEAR_BEFORE_NUMBER = re.compile(r"(?:19|20)\d\d\.?(?=\d{1,4}/)")
_YEAR_CONTEXT = re.compile(r"(?:năm|/|\s)\s*$")
# What may stand in the number cell before the number itself ("Luật số 32/…").
_CELL_PREFIX = re.compile(
    r"(?:(?:Bộ luật|Luật|Nghị định|Nghị quyết|Thông tư(?: liên tịch)?|Quyết định|Pháp lệnh)"
    r"\s*)?(?:[Ss]ố\s*:?\s*)?$"
)


@dataclass(frozen=True)
class Number:
    """A legal document number found in the text."""

    start: int
    end: int
    text: str
    certain: bool  # False when its end had to be guessed


@dataclass(frozen=True)
class NumberCell:
    """A number that ends a row: where its cell starts and how sure we are."""

    cell_start: int
    end: int
    number: str
    certain: bool


def parse_legal_basis(text: object) -> dict:
    """Parse the legal basis into items of {"title", "number"}."""
    raw = clean(text)
    if raw is None or not raw.startswith(HEADER) or clean(raw[len(HEADER) :]) is None:
        return {"raw": raw, "ok": False, "items": []}
    body = raw[len(HEADER) :]
    items = []
    ok = True
    title_start = 0
    for cell in number_cells(body):
        title = " ".join(body[title_start : cell.cell_start].split())
        items.append({"title": title, "number": cell.number})
        ok = ok and cell.certain and bool(title) and not lost_separator(title)
        title_start = cell.end
    trailing = " ".join(body[title_start:].split())
    if trailing:
        # A title whose number cell is empty or unreadable.
        items.append({"title": trailing, "number": None})
        ok = False
    return {"raw": raw, "ok": ok, "items": items}


def lost_separator(title: str) -> bool:
    """True if a word starts glued to the previous one: "dụngLuật", "202225Luật".

    That is a cell separator that vanished inside what we took for one title
    (a row whose number cell did not survive), so the rows there are a guess.
    """
    return any(
        (before.islower() or before.isdigit()) and capital.isupper() and after.islower()
        for before, capital, after in zip(title, title[1:], title[2:], strict=False)
    )


def find_numbers(body: str) -> list[Number]:
    """Every legal document number in ``body``, with glued letters trimmed off."""
    numbers = []
    for match in _NUMBER.finditer(body):
        start, start_certain = number_start(body, match.start())
        end, end_certain = number_end(body, match)
        numbers.append(Number(start, end, body[start:end], start_certain and end_certain))
    return numbers


def number_start(body: str, start: int) -> tuple[int, bool]:
    """Where the number starts when digits of the title run into it.

    "… năm 202448/2024/QH15" is the year 2024 then "48/2024/QH15": a year
    after "năm", a space or a date's "/" is split off with confidence.  Other glued
    digits ("… Mẫu 3" + "12/2020/…"?) leave the start a guess.
    """
    if not body[start - 1 : start].isdigit():
        return start, True
    run_start = start
    while run_start > 0 and body[run_start - 1].isdigit():
        run_start -= 1
    year = _YEAR_BEFORE_NUMBER.match(body, run_start)
    if year and _YEAR_CONTEXT.search(body, 0, run_start):
        return year.end(), True
    return start, False


def number_end(body: str, match: re.Match[str]) -> tuple[int, bool]:
    """Where the number really ends when a word is glued onto it.

    "…/TT-BTCLuật" matched "BTCL": the known code "BTC" says "Luật" starts a
    new word, while "…/TT-BCAngày" keeps "BCA".  With an unknown code the
    capital before a lower-case letter is taken as the next word's (a guess).
    """
    end = match.end()
    if end >= len(body) or not body[end].isalpha():
        return end, True
    issuer = re.split(r"[/-]", match.group(0))[-1]
    known = known_issuer_length(issuer)
    if known is not None:
        return end - (len(issuer) - known), True
    return (end - 1 if len(issuer) > 1 else end), False


def number_cells(body: str) -> list[NumberCell]:
    """The numbers that end rows, in order."""
    cells: list[NumberCell] = []
    numbers = find_numbers(body)
    row_start = 0
    for index, number in enumerate(numbers):
        if number.start < row_start:
            continue
        following = numbers[index + 1] if index + 1 < len(numbers) else None
        cell = as_number_cell(body, number, following, row_start)
        if cell is not None:
            cells.append(cell)
            row_start = cell.end
    return cells


def as_number_cell(
    body: str, number: Number, following: Number | None, row_start: int
) -> NumberCell | None:
    """Decide whether ``number`` is a row's number cell (None if in a title)."""
    after = body[number.end : number.end + 1]
    repeated = body[row_start : number.start].rstrip().endswith(number.text)
    if after and not after.isalnum() and not repeated:
        return None  # "Nghị định số 08/2015/NĐ-CP quy định …": inside a title
    if following is not None and following.start == number.end and following.text == number.text:
        return None  # "Luật 54/2014/QH13" + "54/2014/QH13": the first is the title's
    prefix = _CELL_PREFIX.search(body, row_start, number.start)
    # A prefix ("Luật số ") belongs to the number cell only if a title stands
    # before it; at the start of a row it is that row's title ("Thông tư số
    # 53/2025/TT-BCAngày …" goes on as a title).
    has_prefix = prefix is not None and prefix.group(0) != "" and prefix.start() > row_start
    cell_start = prefix.start() if has_prefix else number.start
    before = body[cell_start - 1] if cell_start > row_start else ""
    # No space between title and number: the lost cell separator.  A line
    # break or tab there is a separator too.
    glued = before != "" and (not before.isspace() or before in "\n\t")
    # The title quotes the number right before the cell ("…QH13" + "54/…").
    title_ends_with_it = body[row_start:cell_start].rstrip().endswith(number.text)
    if not (glued or title_ends_with_it or after == ""):
        return None  # "… bởi Nghị định số 07/2025/NĐ-CP" + "280/…": quoted in a title
    # The text's last number ends the last row even after a space.
    certain = title_ends_with_it or (number.certain and (glued or after == ""))
    return NumberCell(cell_start, number.end, number.text, certain)
