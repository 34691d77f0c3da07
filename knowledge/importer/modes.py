"""Parse ``cach_thuc_thuc_hien``: the submission modes with their time and fee.

The portal shows a four-column table (mode, time, fee, description) that was
flattened into one string without separators, e.g.::

    Hình thức nộpThời gianPhí, lệ phíMô tả
    Trực tuyến7 Ngày làm việc10,000 Việt Nam Đồng(Trường hợp ...)
    Trực tiếp7 Ngày làm việc20,000 Việt Nam Đồng(...)

Each row is: mode label, time, fee, an optional "(...)" that belongs to the fee
cell, then free description text up to the next row.  The mode labels also
occur inside descriptions ("Trực tiếp: nộp hồ sơ ..."), so a row only starts
where a label is immediately followed by a time value.
"""

from __future__ import annotations

import re

from knowledge.importer.common import NO_INFO, clean, matching_paren_end

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"

MODE_CODES = {
    "Trực tuyến": "online",
    "Dịch vụ bưu chính": "post",
    "Trực tiếp": "in_person",
}

TIME_UNITS = {
    "Ngày làm việc": "working_days",
    "Ngày": "days",
    "Giờ": "hours",
    "Tháng": "months",
}

CURRENCIES = {
    "Việt Nam Đồng": "VND",
    "VNĐ": "VND",
    "VND": "VND",
    "Đồng": "VND",
    "USD": "USD",
}

# Some tax procedures put words in the time cell: "Không phải trả kết quả cho
# người nộp thuế" (no result is returned), "Không quy định" (not set),
# "Không" (none).  They are kept as the time's text, never as a duration.
_TEXT_TIME = re.compile(
    r"(Không phải trả kết quả cho người nộp thuế|Không quy định|Không) ?"
    r"(?=Miễn phí|Không thu phí|" + re.escape(NO_INFO) + r"|\d)"
)

# A row starts at a mode label glued to a time value (a digit or "no info").
_ROW_START = re.compile(
    "(" + "|".join(re.escape(label) for label in MODE_CODES) + ")"
    + "(?=\\d|" + re.escape(NO_INFO) + "|" + _TEXT_TIME.pattern + ")"
)
# Longest unit first so "Ngày làm việc" is not read as "Ngày".
_TIME_WITH_UNIT = re.compile(
    r"(\d+(?:\.\d+)?) ?(" + "|".join(sorted(TIME_UNITS, key=len, reverse=True)) + ")"
)
_BARE_NUMBER = re.compile(r"\d+")
_FEE_AMOUNT = re.compile(
    r"(\d[\d.,]*)\s*(" + "|".join(sorted(CURRENCIES, key=len, reverse=True)) + ")"
)
_FREE_WORDS = ("Miễn phí", "Không thu phí")
# The portal prints amounts with "," between thousands and no leading zero.
_WELL_FORMED_AMOUNT = re.compile(r"(?:[1-9]\d{0,2}(?:,\d{3})*|0)")
# "(/trang)", "(đồng/lần)", "(275.000 đ/tấn ...)", "(/trường hợp (Thông tư ...))"
# -> the billing unit.
_PER_UNIT = re.compile(
    r"\s*(?:\d[\d.,]*\s*)?(?:đồng|Đồng|đ|vnđ|VNĐ|USD)?\s*/\s*([^()/]+?)\s*(?:\(|\)|$)"
)
_COUNCIL = re.compile(
    r"(?:Hội đồng nhân dân|HĐND)(?:\s+các)?(?:\s+cấp)?\s+(?:tỉnh|thành phố)", re.IGNORECASE
)
_FEE_WORD = re.compile(r"phí|mức thu", re.IGNORECASE)
# "Miễn phí từ ngày 07/4/2026 đến 30/6/2026", "kể từ ngày 01/7/2025 đến hết
# ngày 31/12/2026, mức thu … được giảm": the amount shown may not be due today.
_DATE_RANGE = re.compile(r"từ ngày\s*\d|đến hết ngày\s*\d", re.IGNORECASE)
_CHANGE_WORD = re.compile(r"miễn|giảm|mức thu|mức phí|áp dụng", re.IGNORECASE)
# A sentence ends at ";", a new line, or a "." that is no thousands mark ("1.000.000 đồng").
_SENTENCE_BREAK = re.compile(r"(?<!\d)\.|\.(?!\d)|[;\n]")
# An amount in the note, written as people write it: "20.000 đ", "40.000 đồng".
_NOTE_AMOUNT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{3})+)\s*(?:đồng|đ\b|VNĐ)", re.IGNORECASE)

# Real VND fees are never below 1,000 đồng; smaller numbers on the portal are
# amounts typed in thousands or in USD (e.g. "20 VNĐ(20.000 vnđ /tờ khai)").
_MIN_PLAUSIBLE_VND = 1000


def parse_modes(text: object) -> dict:
    """Parse the whole modes table; ``ok`` means every row split cleanly."""
    raw = clean(text)
    if raw is None:
        return {"raw": None, "ok": False, "items": []}
    if not raw.startswith(HEADER):
        return {"raw": raw, "ok": False, "items": []}
    body = raw[len(HEADER):]
    starts = list(_ROW_START.finditer(body))
    if not starts:
        return {"raw": raw, "ok": False, "items": []}
    items = []
    all_rows_ok = not body[: starts[0].start()].strip()
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        item, row_ok = parse_mode_row(start.group(1), body[start.end() : end])
        items.append(item)
        all_rows_ok = all_rows_ok and row_ok
    return {"raw": raw, "ok": all_rows_ok, "items": items}


def parse_mode_row(label: str, cells: str) -> tuple[dict, bool]:
    """Parse one row (the text after its mode label).

    Returns the item and whether the row's cells were told apart confidently.
    """
    time_token, fee_token, rest, split_guessed = split_time_and_fee(cells)
    detail, note, detail_ok = split_fee_detail(rest if fee_token is not None else "")
    if fee_token is None:
        note = clean_note(rest)
    fee = parse_fee(fee_token, detail, note)
    if split_guessed:
        # The time and the amount were glued digits: not a confident reading.
        fee["ok"] = False
        # Unless its note states the same amount, the amount may be misread.
        fee["amount_doubtful"] = fee["amount"] not in note_amounts(detail)
        if time_token is None:
            # More than one split fits ("125 VNĐ": 1 + 25 or 12 + 5): no amount.
            fee.update(amount=None, free=False)
    item = {
        "mode": MODE_CODES.get(label),
        "label": label,
        "time": parse_time(time_token),
        "fee": fee,
        "note": note,
    }
    row_ok = time_token is not None or cells.startswith(NO_INFO)
    row_ok = row_ok and fee_token is not None and detail_ok and not split_guessed
    return item, row_ok


def split_time_and_fee(cells: str) -> tuple[str | None, str | None, str, bool]:
    """Cut a row into (time text, fee text, remaining text, split_was_guessed).

    Time text is None for "no info".  A bare time number glued to a fee amount
    ("120,000 VNĐ": 1 + 20,000?) is split only when exactly one split gives a
    well-formed amount; otherwise the time is None and the fee text is the
    unsplit text.  Either way the split counts as guessed.
    """
    if cells.startswith(NO_INFO):
        time_token, rest = None, cells[len(NO_INFO) :]
    elif (words := _TEXT_TIME.match(cells)) is not None:
        time_token, rest = words.group(1), cells[words.end() :]
    elif (match := _TIME_WITH_UNIT.match(cells)) is not None:
        time_token, rest = match.group(0), cells[match.end() :]
    elif (glued := _FEE_AMOUNT.match(cells)) is not None:
        return split_glued_time_and_fee(glued.group(1), glued.group(2)) + (
            cells[glued.end() :],
            True,
        )
    elif (match := _BARE_NUMBER.match(cells)) is not None:
        time_token, rest = match.group(0), cells[match.end() :]
    else:
        return None, None, cells, False
    fee_token, rest = take_fee_token(rest)
    return time_token, fee_token, rest, False


def split_glued_time_and_fee(digits: str, currency: str) -> tuple[str | None, str]:
    """Split "120,000" + "VNĐ" into ("1", "20,000 VNĐ") if only one split fits."""
    leading = re.match(r"\d+", digits).group(0)
    splits = []
    for cut in range(1, len(leading)):
        time_part, amount_part = digits[:cut], digits[cut:]
        if time_part.startswith("0"):
            continue
        if _WELL_FORMED_AMOUNT.fullmatch(amount_part) and amount_part != "0":
            splits.append((time_part, amount_part))
    if len(splits) == 1:
        time_part, amount_part = splits[0]
        return time_part, f"{amount_part} {currency}"
    # Ambiguous: keep the whole text as the fee so nothing is invented.
    return None, f"{digits} {currency}"


def take_fee_token(text: str) -> tuple[str | None, str]:
    """Take the fee cell's main value off the front of ``text``."""
    for word in (*_FREE_WORDS, NO_INFO):
        if text.startswith(word):
            return word, text[len(word) :]
    match = _FEE_AMOUNT.match(text)
    if match:
        return match.group(0), text[match.end() :]
    return None, text


def split_fee_detail(rest: str) -> tuple[str | None, str | None, bool]:
    """Split the "(...)" that belongs to the fee cell from the row description.

    Returns (detail, note, ok); ok is False when an unclosed "(" swallows text
    whose end we cannot know.
    """
    if not rest.startswith("("):
        return None, clean_note(rest), True
    end = matching_paren_end(rest, 0)
    if end is None:
        # "(đồng (Miễn phí …)20 ngày …": a "(" is never closed.  Closing at the
        # last ")" is the best reading, but only a reading: not ok.
        last = rest.rfind(")")
        if last < 0:
            detail = clean(rest[1:])
            return detail, None, detail is None
        return clean(rest[1:last]), clean_note(rest[last + 1 :]), False
    return clean(rest[1 : end - 1]), clean_note(rest[end:]), True


def clean_note(text: str) -> str | None:
    """The row description, or None when it is empty or stray punctuation.

    Some rows end with a lone ")" left over from the fee text.
    """
    note = clean(text)
    if note is None or not any(char.isalnum() for char in note):
        return None
    return note


def parse_time(token: str | None) -> dict:
    """"7 Ngày làm việc" -> 7 working days; a bare number has no known unit."""
    if token is None:
        return {"raw": None, "amount": None, "unit": None, "ok": False}
    match = _TIME_WITH_UNIT.fullmatch(token)
    if match:
        return {
            "raw": token,
            "amount": to_number(match.group(1)),
            "unit": TIME_UNITS[match.group(2)],
            "ok": True,
        }
    if _BARE_NUMBER.fullmatch(token):
        # The portal dropped the unit: days? working days? We do not guess.
        return {"raw": token, "amount": int(token), "unit": None, "ok": False}
    return {"raw": token, "amount": None, "unit": None, "ok": False}


def parse_fee(token: str | None, detail: str | None = None, note: str | None = None) -> dict:
    """Read the fee cell; ``detail`` is its "(...)" text, ``note`` the row text."""
    temporary = temporary_rate(detail, note)
    fee = {
        "raw": token if token != NO_INFO else None,
        "detail": detail,
        "free": False,
        "amount": None,
        "currency": None,
        "per": billing_unit(detail),
        "province_decides": province_decides(token, detail, note),
        "ok": False,
        # The amount itself may be misread (glued to the time, implausibly small): then it
        # is never said, whatever the note.
        "amount_doubtful": False,
    }
    if token is None or token == NO_INFO:
        return fee
    if token in _FREE_WORDS:
        fee.update(free=True, amount=0, ok=not temporary)
        return fee
    match = _FEE_AMOUNT.fullmatch(token)
    if match is None:
        return fee
    currency = CURRENCIES[match.group(2)]
    fee["currency"] = currency
    digits = match.group(1)
    if not _WELL_FORMED_AMOUNT.fullmatch(digits):
        return fee
    amount = int(digits.replace(",", ""))
    implausible = currency == "VND" and 0 < amount < _MIN_PLAUSIBLE_VND
    if implausible and amount * 1000 in note_amounts(detail):
        # "20 VNĐ" in the cell, "20.000 đ/tờ khai" in its note: the cell is in thousands.
        amount *= 1000
        implausible = False
    fee["amount"] = amount
    fee["free"] = amount == 0
    fee["ok"] = not implausible and not temporary
    fee["amount_doubtful"] = implausible
    return fee


def note_amounts(detail: str | None) -> set[int]:
    """The amounts in đồng a note states with thousands marks."""
    return {int(m.group(1).replace(".", "")) for m in _NOTE_AMOUNT.finditer(detail or "")}


def billing_unit(detail: str | None) -> str | None:
    """"/trang" -> "trang": what one fee amount pays for, when stated first."""
    if not detail:
        return None
    match = _PER_UNIT.match(detail)
    if not match:
        return None
    # "275.000 đ/tấn Đồng (…)": a currency word can trail the unit.
    unit = re.sub(r"\s+(?:Đồng|đồng|VNĐ|vnđ)$", "", match.group(1)).strip(" .;:")
    return unit if 0 < len(unit) <= 30 else None


def province_decides(token: str | None, detail: str | None, note: str | None) -> bool:
    """True when the fee is said to be set by the provincial People's Council."""
    for text in (token, detail):
        if text and _COUNCIL.search(text):
            return True
    if note:
        # In the free description only a sentence about fees counts: other
        # sentences mention the council for unrelated deadlines.
        for sentence in _SENTENCE_BREAK.split(note):
            if _COUNCIL.search(sentence) and _FEE_WORD.search(sentence):
                return True
    return False


def temporary_rate(detail: str | None, note: str | None) -> bool:
    """True when the fee text says it is waived or changed for a date range."""
    sentences = _SENTENCE_BREAK.split(detail) if detail else []
    if note:
        sentences += [part for part in _SENTENCE_BREAK.split(note) if _FEE_WORD.search(part)]
    return any(_DATE_RANGE.search(part) and _CHANGE_WORD.search(part) for part in sentences)


def to_number(text: str) -> int | float:
    """"7" -> 7, "1.5" -> 1.5."""
    return float(text) if "." in text else int(text)
