"""The documents of a procedure as a citizen reads them: cases, the general one first.

The portal's documents table (parsed by parse_documents) mixes real documents with notes
("Ví dụ: …", "Lưu ý: …"), conditions the generator gave a zero quantity ("Trường hợp không
khai thác được thông tin thì …"), and sub-headings ("Đối với … chợ biên giới:"). Its cases come
in no useful order: the proxy's papers may come before the application form. Here each item
gets a kind, each case a short label, and the cases every citizen needs are marked general
(see general_cases).

Example: organize([{"case": None, "items": [...]}]) -> the same groups with "kind", "label"
and "general" added; the original text stays in every item's "name".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DOCUMENT, NOTE, HEADING = "document", "note", "heading"
# A short note that tells what to send or bring for one way of submitting ("Trường hợp gửi hồ
# sơ qua hệ thống bưu chính thì phải gửi kèm theo bản sao có chứng thực …"): a citizen who posts
# the file acts on it, so the answer shows it with the papers, not left at the source.
INSTRUCTION = "instruction"
_MODE_NOTE = re.compile(r"^trường hợp (gửi|nộp) hồ sơ (qua )?(hệ thống |dịch vụ )?"
                        r"(bưu chính|trực tuyến)\b.* thì ", re.IGNORECASE)
_MODE_NOTE_CHARS = 220

# An item that explains rather than lists: an example, a remark.
_NOTE_START = re.compile(r"^[\s*+\-•(]*(?:ví dụ|lưu ý|ghi chú|chú ý|chú thích)\b", re.IGNORECASE)
# A heading of a sub-list: a short line that ends with a colon.
_HEADING_WORDS = 30
_LIST_INTRO = re.compile(r"\b(?:bao gồm|gồm có|gồm|như sau|sau)\s*:$", re.IGNORECASE)
_LIST_INTRO_WORDS = 45
# Case headings that name the file everyone hands in, not a situation.
_GENERAL_HEADING = re.compile(
    r"^[\s*+\-•]*(?:[a-zđ]\)\s*|\d{1,2}[.)]\s*)?(?:các\s+)?(?:thành phần hồ sơ|hồ sơ"
    r"(?! đối với| trong trường hợp)|giấy tờ phải (?:nộp|xuất trình)|chứng từ phải nộp|bao gồm)",
    re.IGNORECASE)
_NOTES_HEADING = re.compile(r"^[\s*+\-•]*(?:lưu ý|ghi chú|chú ý)\b", re.IGNORECASE)
# List markers at the start of an item: "(iv)", "a)", "1.", "2)".
_MARKER = re.compile(r"^\s*\(?([ivx]+|[a-zđ]|\d{1,2})[).]\s", re.IGNORECASE)
_FORM = re.compile(
    r"^[\s*+\-•]*(?:tờ khai|đơn\b|giấy đề nghị|văn bản đề nghị|phiếu (?:đề nghị|yêu cầu)|bản khai)"
    r"|\bmẫu (?:số\s*)?[A-Z0-9]", re.IGNORECASE)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12}
# What a case heading says after the case itself: "…, hồ sơ gồm:", "… thì hồ sơ phải kèm …".
_HEADING_TAIL = re.compile(
    r"(?:,?\s*(?:thì\s+)?(?:hồ sơ|thành phần hồ sơ)\b.*|:\s*)$", re.IGNORECASE)
_HEADING_LEAD = re.compile(r"^[\s*+\-•]*(?:[a-zđ]\)\s*|\d{1,2}[.)]\s*)?", re.IGNORECASE)


def organize(groups: list[dict]) -> list[dict]:
    """The parsed groups with kinds, labels, one general case and items in list order."""
    organized = []
    headings = [group.get("case") for group in groups]
    for index, group in enumerate(groups):
        case = group.get("case")
        # The portal sometimes repeats the last case's heading before the first table, whose
        # own heading is lost ("thuộc quyền sở hữu của mình" above the papers for a boat).
        if case and index == 0 and case in headings[1:]:
            case = None
            unknown_heading = True
        else:
            unknown_heading = False
        notes_only = bool(case and _NOTES_HEADING.match(case))
        items = [dict(item, kind=NOTE if notes_only else item_kind(item))
                 for item in group.get("items") or []]
        _head_lists(items)
        items = in_list_order(items)
        _mark_instructions(items)
        organized.append(dict(group, case=case, items=items,
                              label=case_label(case), unknown_heading=unknown_heading,
                              general=False))
    for index in general_cases(organized):
        organized[index]["general"] = True
    return organized


def item_kind(item: Mapping) -> str:
    name = " ".join(str(item.get("name") or "").split())
    quantity = item.get("quantity") or {}
    if _NOTE_START.match(name):
        return NOTE
    if name.endswith(":") and len(name.split()) <= _HEADING_WORDS:
        return HEADING
    if quantity and not quantity.get("originals") and not quantity.get("copies"):
        # The generator's "0 bản chính": nothing to hand in, a condition or remark.
        return NOTE
    return DOCUMENT


def _head_lists(items: list[dict]) -> None:
    """A longer remark that introduces the list after it ("Hồ sơ đề nghị … cho bên nhận
    chuyển nhượng là thành viên góp vốn mới gồm:") heads that list, when papers follow it
    before the next heading; otherwise it stays a remark."""
    for index, item in enumerate(items):
        name = " ".join(str(item.get("name") or "").split())
        if item["kind"] != NOTE or not _LIST_INTRO.search(name) or \
                len(name.split()) > _LIST_INTRO_WORDS or _NOTE_START.match(name):
            continue
        following = next((later["kind"] for later in items[index + 1:]
                          if later["kind"] != NOTE), None)
        if following == DOCUMENT:
            item["kind"] = HEADING


def _mark_instructions(items: list[dict]) -> None:
    for item in items:
        name = " ".join(str(item.get("name") or "").split())
        if item["kind"] == NOTE and len(name) <= _MODE_NOTE_CHARS and _MODE_NOTE.match(name):
            item["kind"] = INSTRUCTION


def in_list_order(items: list[dict]) -> list[dict]:
    """Documents that carry list markers ("(i)", "a)", "1.") in the order of their markers
    (the portal shuffles them), then the other documents, then notes and headings; in a list
    without markers or sub-headings, the forms to fill in come first."""
    documents = [item for item in items if item["kind"] == DOCUMENT]
    marked = [item for item in documents if _marker_rank(item["name"]) is not None]
    if len(marked) < 2:
        if any(item["kind"] == HEADING for item in items):
            return items    # sub-lists keep their place under their headings
        # The forms to fill in first: they are what every citizen brings.
        forms = [item for item in documents if is_form(item)]
        others = [item for item in items if item not in forms]
        return forms + others
    marked.sort(key=lambda item: _marker_rank(item["name"]))
    unmarked = [item for item in documents if _marker_rank(item["name"]) is None]
    return marked + unmarked + [item for item in items if item["kind"] != DOCUMENT]


def is_form(item: Mapping) -> bool:
    """An application or declaration the citizen fills in ("Tờ khai … (Mẫu CT01)")."""
    return bool(item.get("form")) or bool(_FORM.match(" ".join(str(item["name"]).split())))


def _marker_rank(name: str) -> int | None:
    match = _MARKER.match(name)
    if match is None:
        return None
    marker = match.group(1).lower()
    if marker.isdigit():
        return int(marker)
    if marker in _ROMAN:
        return _ROMAN[marker]
    return ord(marker[0]) - ord("a") + 1


def case_label(case: str | None) -> str | None:
    """A case heading said short: "* Trường hợp ủy quyền thực hiện thủ tục thì hồ sơ phải kèm
    theo …:" -> "Trường hợp ủy quyền thực hiện thủ tục"."""
    if not case:
        return None
    label = " ".join(case.split())
    label = _HEADING_LEAD.sub("", label)
    shorter = _HEADING_TAIL.sub("", label).strip(" ,;:-*")
    label = shorter or label.strip(" ,;:-*")
    return label[:1].upper() + label[1:] if label else None


def has_documents(group: Mapping) -> bool:
    """Whether a case lists any paper to hand in (not only notes and headings)."""
    return any(item.get("kind", DOCUMENT) == DOCUMENT for item in group.get("items") or [])


def general_cases(groups: list[dict]) -> list[int]:
    """The cases every citizen needs: the one with no heading ("--" on the portal) and those
    headed as the file itself ("Giấy tờ phải nộp", "Giấy tờ phải xuất trình", "Hồ sơ gồm").
    None when every case is a situation of its own (permanent residence: own home, rented,
    a boat…): then the citizen chooses, nothing is guessed."""
    listed = [i for i, group in enumerate(groups) if has_documents(group)]
    if len(listed) == 1:
        return listed
    return [i for i in listed if (not groups[i]["case"] and not groups[i]["unknown_heading"])
            or (groups[i]["case"] and _GENERAL_HEADING.match(groups[i]["case"]))]
