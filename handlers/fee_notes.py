"""What a fee's note says, for a fee the importer could not state with confidence.

The portal often writes one amount in the fee cell and the real rule in its note: halved
until a date, waived for a few months, another amount per case. Such a fee is never stated as
a bare amount. Rules the note states plainly ("… bằng 50% mức thu …, đến hết ngày
31/12/2026", "miễn lệ phí từ 07/4/2026 đến 30/6/2026", "25.000 đồng … áp dụng đến hết ngày
31/12/2026") are read with their dates against today; anything else is quoted, shortened at
a word. Nothing is computed that the note does not say.

Example: note_text({"amount": 70000, "detail": "… bằng 50% mức thu …"}, t, date(2026, 12, 3))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from handlers.wording import format_vnd, shorten

Text = Callable[..., str]

QUOTE_CHARS = 220
_DATE = r"(\d{1,2})/(\d{1,2})/(\d{4})"
_UNTIL = re.compile(rf"(?:đến hết ngày|đến hết|đến ngày|đến)\s*{_DATE}", re.IGNORECASE)
_FROM = re.compile(rf"(?:từ ngày|kể từ ngày|từ)\s*{_DATE}", re.IGNORECASE)
_PERCENT = re.compile(r"bằng\s*(\d{1,3})\s*%", re.IGNORECASE)
_WAIVED = re.compile(r"\bmiễn\b(?! một số)", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|đ\b|VNĐ)", re.IGNORECASE)
_REGULATION = re.compile(r"theo quy định|thông tư|nghị quyết|luật phí", re.IGNORECASE)
# Where one rule of a note ends and the next begins.
_SEGMENT = re.compile(r"\s+-\s+|;\s+|\.\s+(?=[A-ZĐÀ-Ỹ])|\n")


@dataclass(frozen=True)
class DatedRule:
    start: date | None
    end: date
    percent: int | None = None
    amount: int | None = None
    waived: bool = False


def says_otherwise(detail: str | None) -> bool:
    """Whether a note beside "Miễn phí" speaks of an amount or a fee regulation: then "free"
    is not said alone."""
    return bool(detail) and bool(_AMOUNT.search(detail) or _REGULATION.search(detail))


def dated_rules(text: str) -> list[DatedRule]:
    """The rules of a note that say until when they apply, and what they change to."""
    rules = []
    for segment in _SEGMENT.split(text):
        until = _UNTIL.search(segment)
        if until is None:
            continue
        end = _as_date(until)
        start_match = _FROM.search(segment)
        start = _as_date(start_match) if start_match else None
        if end is None:
            continue
        percent = _PERCENT.search(segment)
        amounts = [int(m.group(1).replace(".", "")) for m in _AMOUNT.finditer(segment)]
        if percent:
            rules.append(DatedRule(start, end, percent=int(percent.group(1))))
        elif _WAIVED.search(segment):
            rules.append(DatedRule(start, end, waived=True))
        elif len(amounts) == 1:
            rules.append(DatedRule(start, end, amount=amounts[0]))
    return rules


def note_text(fee: Mapping, t: Text, today: date,
              format_amount: Callable[[float], str] = format_vnd) -> str:
    """The fee as the cell and its note say it: the rules in force today (or coming) with
    their dates, else the note quoted; the cell's amount beside them."""
    detail = " ".join(str(fee.get("detail") or "").split())
    amount = fee.get("amount")
    cell = t("fee.free") if fee.get("free") else (
        format_amount(amount) if amount is not None else None)
    rules = dated_rules(detail)
    current = [rule for rule in rules if rule.end >= today]
    parts = []
    for rule in current:
        value = _rule_value(rule, amount, t, format_amount)
        if value is None:
            continue
        when = t("fee.until", date=_said(rule.end)) if rule.start is None or rule.start <= today \
            else t("fee.between", start=_said(rule.start), end=_said(rule.end))
        parts.append(f"{when}: {value}")
    if parts:
        if cell:
            parts.insert(0, t("fee.cell", value=cell))
        return "; ".join(parts)
    if rules and not current:
        # Every dated change has ended: the cell's amount is what is charged now.
        if cell:
            return t("fee.change_ended", value=cell, date=_said(max(r.end for r in rules)))
    quoted = t("fee.note_says", note=shorten(detail, QUOTE_CHARS)) if detail else ""
    if cell and quoted:
        return f"{quoted} {t('fee.cell_beside', value=cell)}"
    return quoted or t("fact.unknown")


def _rule_value(rule: DatedRule, amount: float | None, t: Text,
                format_amount: Callable[[float], str]) -> str | None:
    if rule.waived:
        return t("fee.free")
    if rule.amount is not None:
        return format_amount(rule.amount)
    if rule.percent is not None and amount:
        return t("fee.percent", percent=rule.percent,
                 value=format_amount(amount * rule.percent / 100))
    return None


def _as_date(match: re.Match[str]) -> date | None:
    day, month, year = (int(part) for part in match.groups()[-3:])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _said(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


# "Miễn lệ phí cho người thuộc hộ nghèo; …", "Trường hợp công dân thuộc diện được miễn … thì …":
# who pays nothing. Said with the fee (quoted), since those citizens act on it.
_WAIVER = re.compile(r"\bmiễn (nộp )?(lệ phí|phí)\b[^.;]{0,80}?\b(cho|đối với)\b"
                     r"|\bđược miễn\b|\bthuộc diện (được )?miễn\b"
                     r"|\bkhông (thu )?(lệ phí|phí)\b[^.;]{0,40}?"
                     r"\b(trong trường hợp|đối với|khi)\b", re.IGNORECASE)
# Sentences, also glued ("…đã đăng ký.Miễn lệ phí …"), and the "- " items of a note.
_SENTENCE = re.compile(r"(?<=[.!?])\s*(?=[A-ZĐÀ-Ỹ])|\s+-\s+")


def waiver_sentences(detail: str | None) -> list[str]:
    """The sentences of a fee note that say who is exempt, but not a dated reduction (those
    are read with their dates by dated_rules)."""
    text = " ".join((detail or "").split())
    found = []
    for sentence in _SENTENCE.split(text):
        if _WAIVER.search(sentence) and not _UNTIL.search(sentence):
            found.append(shorten(sentence.strip(" -+•"), QUOTE_CHARS))
    return found
