"""Short sentences about one part of a parsed procedure record, for a phone screen.

Only values the importer parsed with confidence ("ok") are stated; anything else is said to be
unknown here and the citizen is pointed to the source page. Texts come from texts.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from handlers.fee_notes import note_text, says_otherwise, waiver_sentences
from handlers.wording import format_vnd, shorten

Text = Callable[..., str]

MODE_ORDER = ("online", "post", "in_person")
_COUNTED_FROM = re.compile(
    r"kể từ (?:ngày|khi|thời điểm) (?:cơ quan[^,.;]{0,40})?nhận (?:được )?(?:đủ |đầy đủ )?"
    r"hồ sơ(?: hợp lệ)?", re.IGNORECASE)
# Where one condition ends and the next begins in a record that lists them on one line.
_CONDITION_BREAK = re.compile(r"(?<=;)\s+|\s+(?=[-+•]\s)|\s+(?=[a-zđ]\)\s)")
# A note saying the file is done on the day it is received, the cell giving the longest time.
_SAME_DAY = re.compile(r"(giải quyết|trả kết quả|hoàn thành)[^.;]{0,60}\btrong (ngày|ngày làm "
                       r"việc) (nhận|tiếp nhận)", re.IGNORECASE)
SAME_DAY_CHARS = 260
_TIME_CASE = re.compile(r"^[-+•\s]*(trường hợp[^:;.]{3,90}):", re.IGNORECASE)
_DAYS = re.compile(r"(?<![\d/.])(\d{1,3})\s*ngày", re.IGNORECASE)
TIME_NOTE_CHARS = 200
_FEE_CASE = re.compile(r"^\s*[-+•]\s*([^:;.\d]{5,90}):\s")
MAX_ITEM_CHARS = 150
MAX_STEPS = 5
MAX_RAW_STEPS_CHARS = 260


def distinct_labels(names: Sequence[str], codes: Sequence[str], limit: int) -> list[str]:
    """Button labels for procedures offered side by side that never read the same: names
    too long for a button lose the words they share ("Cấp giấy chứng nhận kiểm dịch động
    vật, …") rather than their ends, which are what tells them apart."""
    labels = [shorten(name, limit) for name in names]
    if len(set(labels)) == len(labels):
        return labels
    words = [name.split() for name in names]
    labels = []
    for i, own in enumerate(words):
        others = [w for j, w in enumerate(words) if j != i]
        shared = max((common_prefix_words(own, other) for other in others), default=0)
        rest = " ".join(own[shared:]) if shared < len(own) else ""
        labels.append(f"…{shorten(rest, limit - 1)}" if shared and rest
                      else shorten(names[i], limit))
    if len(set(labels)) == len(labels):
        return labels
    # Names that are the same word for word (a procedure published at two levels): the code.
    return [f"{shorten(label, limit - len(code) - 3)} ({code})"
            for label, code in zip(labels, codes, strict=True)]


def common_prefix_words(a: Sequence[str], b: Sequence[str]) -> int:
    """How many words two word lists share at their start (case and trailing ",;:" aside)."""
    size = 0
    for x, y in zip(a, b, strict=False):
        if x.lower().strip(",;:") != y.lower().strip(",;:"):
            break
        size += 1
    return size


def _modes(record: Mapping) -> list[Mapping]:
    items = (record.get("modes") or {}).get("items") or []
    return sorted(items, key=lambda m: MODE_ORDER.index(m["mode"]) if m.get("mode") in MODE_ORDER
                  else len(MODE_ORDER))


def _mode_label(mode: Mapping, t: Text) -> str:
    key = mode.get("mode")
    return t(f"mode.{key}") if key in MODE_ORDER else (mode.get("label") or t("mode.other"))


def fee_text(fee: Mapping | None, t: Text, today: date | None = None) -> str:
    """The fee of one mode. One the importer could not state with confidence is said as its
    cell and note say it (handlers/fee_notes.py), never as a bare amount; "Miễn phí" is said
    alone only where the note says nothing of an amount or a fee regulation."""
    if not fee:
        return t("fact.unknown")
    if fee.get("province_decides"):
        return t("fee.province_decides")
    today = today or date.today()
    detail = fee.get("detail")
    if not fee.get("ok"):
        if detail and not fee.get("amount_doubtful") and (
                fee.get("amount") is not None or fee.get("free")):
            return note_text(fee, t, today)
        return t("fact.unknown")
    if fee.get("free"):
        return note_text(fee, t, today) if says_otherwise(detail) else t("fee.free")
    amount = fee.get("amount")
    if amount is None:
        return t("fact.unknown")
    if fee.get("currency") == "USD":
        value = f"{amount:g} USD"
    else:
        value = format_vnd(amount)
    if fee.get("per"):
        value += f"/{fee['per']}"
    case = fee_case(detail) or case_note(detail, amount)
    return f"{value} ({case})" if case else value


# A short fee note that only names the case its amount is for ("+ Xe ô tô từ 10 chỗ ngồi trở
# lên", "Áp dụng đối với … chi nhánh ngân hàng nước ngoài"), or names it before that same amount
# ("Xe ô tô dưới 10 chỗ ngồi: 90.000 đồng/giấy"): the portal lists cases as mode rows, and an
# amount said without its case reads as the fee for everyone.
_CASE_NOTE = re.compile(r"\bđối với\b|^[-+•]\s|^áp dụng\b|^trường hợp\b|^xe\b", re.IGNORECASE)
_CASE_THEN_AMOUNT = re.compile(
    r"^[-+•\s]*([^:;]{5,100}):\s*(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|đ\b)", re.IGNORECASE)
_NOT_A_CASE = re.compile(r"\d[\d.,]*\s*(?:đồng|đ\b|vnđ|usd)|\d{1,2}/\d{1,2}/\d{4}|thông tư|"
                         r"nghị định|nghị quyết|quyết định|\bluật\b|^đồng\b", re.IGNORECASE)
CASE_NOTE_CHARS = 160


def case_note(detail: str | None, amount: float | None = None) -> str | None:
    note = " ".join((detail or "").split())
    if not note or len(note) > CASE_NOTE_CHARS:
        return None
    named = _CASE_THEN_AMOUNT.match(note)
    if named and amount is not None and int(named.group(2).replace(".", "")) == amount:
        case = named.group(1).strip()
        return None if _NOT_A_CASE.search(case) else case
    if not _CASE_NOTE.search(note) or _NOT_A_CASE.search(note):
        return None
    return note.strip(" -+•.;")


def fee_case(detail: str | None) -> str | None:
    """The case a note puts before its amount ("- Đăng ký tạm trú theo danh sách: + … thu
    10.000 đồng/người"): the amount holds for that case, so it is said with it."""
    match = _FEE_CASE.match(detail or "")
    return match.group(1).strip() if match else None


def duration_text(time: Mapping | None, t: Text, note: str | None = None) -> str:
    """The time of one mode, and from when it counts when the mode's description says
    ("kể từ ngày nhận đủ hồ sơ hợp lệ", in the record's own words)."""
    if not time or not time.get("ok") or time.get("amount") is None or not time.get("unit"):
        return t("fact.unknown")
    amount = time["amount"]
    said = t(f"duration.{time['unit']}", amount=f"{amount:g}")
    note = " ".join((note or "").split())
    case = _TIME_CASE.match(note)
    if case:
        # One row per case ("Trường hợp cần xác minh nguồn gốc lâm sản: … 03 ngày"): the case
        # goes with its time.
        said += f" ({case.group(1).strip()})"
    elif len(note) <= TIME_NOTE_CHARS and \
            len({int(days) for days in _DAYS.findall(note)} | {int(amount)}) > 1:
        # "35 ngày đối với thành lập chi nhánh; 28 ngày đối với … phòng giao dịch": the cell
        # holds one case's time; a short note says which, whole, in its own words (a long
        # one, cut, would not).
        return t("duration.by_case", value=said, note=note)
    counted = _COUNTED_FROM.search(note)
    if counted:
        said = f"{said}, {counted.group(0).lower()}"
    same_day = _same_day_sentence(note)
    if same_day:
        # "… giải quyết trong ngày làm việc nhận được hồ sơ hợp lệ; nếu … sau 15 giờ …": the cell
        # holds the longest time the law allows, the note the usual one; both are said.
        return t("duration.by_case", value=said, note=same_day)
    return said


def _same_day_sentence(note: str) -> str | None:
    """The note's sentence saying the file is usually done on the day it is received, if it
    is short enough to quote whole."""
    match = _SAME_DAY.search(note)
    if match is None:
        return None
    start = note.rfind(". ", 0, match.start())
    start = start + 2 if start != -1 else 0
    end = note.find(". ", match.end())
    sentence = note[start:end + 1 if end != -1 else len(note)].strip(" -+•")
    return sentence if len(sentence) <= SAME_DAY_CHARS else None


def _per_mode_lines(record: Mapping, t: Text, value: Callable[[Mapping], str]) -> list[str]:
    """One line per distinct value: "• Trực tuyến, Trực tiếp: 7 ngày làm việc". A mode listed
    twice with different values (different cases) gets them joined with "hoặc"."""
    by_mode: dict[str, list[str]] = {}
    for mode in _modes(record):
        values = by_mode.setdefault(_mode_label(mode, t), [])
        text = value(mode)
        if text not in values:
            values.append(text)
    by_value: dict[str, list[str]] = {}
    for label, values in by_mode.items():
        joined = t("fact.either", values=f" {t('word.or')} ".join(values)) if len(values) > 1 \
            else values[0]
        by_value.setdefault(joined, []).append(label)
    return [f"• {', '.join(labels)}: {text}" for text, labels in by_value.items()]


def fee_lines(record: Mapping, t: Text, today: date | None = None) -> list[str]:
    lines = _per_mode_lines(record, t, lambda mode: fee_text(mode.get("fee"), t, today))
    waivers = dict.fromkeys(sentence for mode in _modes(record)
                            for sentence in waiver_sentences((mode.get("fee") or {}).get("detail")))
    return (lines or [t("fact.unknown")]) + [t("fee.waiver", note=note) for note in waivers]


def duration_lines(record: Mapping, t: Text) -> list[str]:
    lines = _per_mode_lines(record, t, lambda mode: duration_text(mode.get("time"), t,
                                                                  mode.get("note")))
    return lines or [t("fact.unknown")]


def province_decides_fee(record: Mapping) -> bool:
    return any((mode.get("fee") or {}).get("province_decides") for mode in _modes(record))


def where_lines(record: Mapping, t: Text) -> list[str]:
    agencies = record.get("agencies") or {}
    lines = []
    address, executing = agencies.get("submit_address"), agencies.get("executing")
    place = address or executing or agencies.get("competent")
    if address and executing and executing.lower() not in address.lower():
        # "119 Nguyễn Sơn, phường Bồ Đề…" alone does not say which office is there (209 records).
        place = f"{executing.rstrip(' .;,')} — {address}"
    if place:
        lines.append(t("where.agency", agency=shorten(place, 200).rstrip(" .;,")))
    levels = record.get("levels") or []
    if levels:
        lines.append(t("where.levels", levels=", ".join(levels)))
    return lines or [t("fact.unknown")]


def available_modes(record: Mapping) -> set[str]:
    return {mode["mode"] for mode in _modes(record) if mode.get("mode")}


def online_lines(record: Mapping, t: Text) -> list[str]:
    modes = available_modes(record)
    if not modes:
        return [t("fact.unknown")]
    if modes == {"online"}:
        # The portal lists no other way: saying only "can be submitted online" beside an
        # office reads as if the office took the file too (122 records).
        return [t("online.only")]
    if modes == {"in_person"}:
        # Nor by post: the citizen must go (188 records).
        return [t("online.in_person_only")]
    lines = [t("online.yes") if "online" in modes else t("online.no")]
    if "post" in modes:
        lines.append(t("online.post"))
    return lines


def document_lines(record: Mapping, t: Text) -> list[str]:
    """For a record whose documents could not be parsed; the documents answer itself, by
    case and page, is handlers/documents.py."""
    return [t("fact.unknown")]


def step_lines(record: Mapping, t: Text) -> list[str]:
    steps = record.get("steps") or {}
    items = steps.get("items") or []
    if not steps.get("ok") or not items:
        # Steps are free text: when they could not be split, the portal's own words are shown
        # as they are (shortened), which states nothing the source does not.
        if steps.get("raw"):
            return [t("steps.as_written", text=shorten(steps["raw"], MAX_RAW_STEPS_CHARS))]
        return [t("fact.unknown")]
    lines = [f"{i}. {shorten(step, MAX_ITEM_CHARS)}" for i, step in enumerate(items[:MAX_STEPS], 1)]
    if len(items) > MAX_STEPS:
        lines.append(t("steps.more", count=len(items) - MAX_STEPS))
    return lines


def result_lines(record: Mapping, t: Text) -> list[str]:
    results = record.get("results") or {}
    items = results.get("items") or []
    if not results.get("ok") or not items:
        return [t("fact.unknown")]
    return ["• " + shorten(item["name"], MAX_ITEM_CHARS) for item in items[:4]]


def condition_lines(record: Mapping, t: Text) -> list[str]:
    """The conditions a line each, as the record lists them ("a) …", "- …"): the answer keeps
    whole lines and says the rest is at the source, so an exception ("trừ trường hợp …") is
    never cut off the condition it belongs to."""
    conditions = record.get("conditions")
    if not conditions or not conditions.get("raw"):
        return [t("conditions.none")]
    lines = [" ".join(line.split()) for line in str(conditions["raw"]).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1:
        lines = [part.strip() for part in _CONDITION_BREAK.split(lines[0]) if part.strip()]
    return lines
