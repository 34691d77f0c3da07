"""The documents of a procedure as cases (knowledge/importer/document_cases.py), on made-up
groups and on real records of the committed knowledge, checked against the record's own text."""

from __future__ import annotations

import pytest

from knowledge.base import Knowledge
from knowledge.importer.document_cases import (
    DOCUMENT,
    HEADING,
    INSTRUCTION,
    NOTE,
    case_label,
    organize,
)


def item(name: str, originals: int = 1, copies: int = 0) -> dict:
    return {"name": name, "form": None, "ok": True,
            "quantity": {"raw": "", "originals": originals, "copies": copies}}


def kinds(group: dict) -> list[str]:
    return [entry["kind"] for entry in group["items"]]


# --- made-up groups -------------------------------------------------------------------------

def test_examples_notes_and_zero_quantities_are_not_documents() -> None:
    (group,) = organize([{"case": None, "items": [
        item("Ví dụ: Trường hợp giấy tờ chứng minh chỗ ở đã có trong cơ sở dữ liệu", 0),
        item("Tờ khai thay đổi thông tin cư trú (Mẫu CT01)"),
        item("*Lưu ý: bản sao không cần chứng thực"),
        item("Trường hợp gửi hồ sơ qua bưu chính thì gửi kèm bản sao", 0),
        item("Đối với chợ biên giới:"),
    ]}])
    # The post rule is an instruction the answer shows with the papers, still not a document.
    assert kinds(group) == [NOTE, DOCUMENT, NOTE, INSTRUCTION, HEADING]
    assert [e["name"] for e in group["items"] if e["kind"] == DOCUMENT] == [
        "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)"]


def test_the_case_with_no_heading_is_general_and_special_cases_are_not() -> None:
    groups = organize([
        {"case": "Trường hợp ủy quyền thực hiện thủ tục thì hồ sơ phải kèm theo:",
         "items": [item("Văn bản ủy quyền", 0, 1)]},
        {"case": None, "items": [item("Giấy đề nghị đăng ký hộ kinh doanh;")]},
    ])
    assert [g["general"] for g in groups] == [False, True]
    assert groups[0]["label"] == "Trường hợp ủy quyền thực hiện thủ tục"


def test_file_headings_are_general_together() -> None:
    groups = organize([
        {"case": "* Giấy tờ phải xuất trình:", "items": [item("Căn cước")]},
        {"case": "* Lưu ý :", "items": [item("Người tiếp nhận kiểm tra giấy tờ")]},
        {"case": None, "items": [item("Tờ khai đăng ký kết hôn")]},
    ])
    assert [g["general"] for g in groups] == [True, False, True]
    assert kinds(groups[1]) == [NOTE], "a notes case lists no documents"


def test_when_every_case_is_a_situation_none_is_general() -> None:
    groups = organize([
        {"case": "Đăng ký vào chỗ ở hợp pháp do thuê, mượn", "items": [item("Hợp đồng thuê")]},
        {"case": "Đăng ký tại cơ sở tôn giáo", "items": [item("Văn bản xác nhận")]},
    ])
    assert not any(g["general"] for g in groups)


def test_a_heading_repeated_before_the_first_table_is_not_its_heading() -> None:
    own_home = "Đăng ký vào chỗ ở hợp pháp thuộc quyền sở hữu của mình"
    groups = organize([
        {"case": own_home, "items": [item("Giấy chứng nhận đăng ký phương tiện")]},
        {"case": own_home, "items": [item("Tờ khai CT01")]},
    ])
    assert groups[0]["case"] is None and groups[0]["unknown_heading"]
    assert groups[1]["label"] == own_home
    assert not groups[0]["general"], "a case whose heading was lost is not everyone's"


def test_listed_items_are_put_back_in_the_order_of_their_markers() -> None:
    (group,) = organize([{"case": None, "items": [
        item("(iii) Bản sao hợp đồng"), item("(i) Giấy đề nghị"), item("(ii) Bản sao căn cước"),
        item("Giấy tờ khác"),
    ]}])
    assert [e["name"][:5] for e in group["items"]] == ["(i) G", "(ii) ", "(iii)", "Giấy "]


@pytest.mark.parametrize(("heading", "label"), [
    ("* Hồ sơ đăng ký tạm trú gồm:", "Hồ sơ đăng ký tạm trú gồm"),
    ("a) Đối với cấp mới", "Đối với cấp mới"),
    ("Trường hợp đăng ký thay đổi, hồ sơ gồm:", "Trường hợp đăng ký thay đổi"),
])
def test_case_labels_are_said_short(heading: str, label: str) -> None:
    assert case_label(heading) == label


# --- real records ---------------------------------------------------------------------------

def _words(text: str) -> str:
    return " ".join(text.split())


def _sample(knowledge: Knowledge, per_ministry: int = 7) -> list[str]:
    """Records with a general case, spread over the seven bodies (every n-th of each)."""
    by_ministry: dict[str, list[str]] = {}
    for code, record in sorted(knowledge.procedures.items()):
        groups = (record.get("documents") or {}).get("groups") or []
        if any(g.get("general") for g in groups):
            by_ministry.setdefault(record.get("ministry") or "", []).append(code)
    codes = []
    for listed in by_ministry.values():
        step = max(len(listed) // per_ministry, 1)
        codes += listed[::step][:per_ministry]
    return codes


def test_the_sample_spans_the_seven_bodies_and_forty_records(knowledge: Knowledge) -> None:
    codes = _sample(knowledge)
    assert len(codes) >= 40
    assert len({knowledge.procedures[c]["ministry"] for c in codes}) == 7


def test_general_documents_are_the_record_s_own_rows_and_never_notes(
        knowledge: Knowledge) -> None:
    for code in _sample(knowledge):
        documents = knowledge.procedures[code]["documents"]
        raw = _words(documents["raw"])
        for group in documents["groups"]:
            if not group["general"]:
                continue
            for entry in group["items"]:
                assert _words(entry["name"]) in raw, (code, entry["name"][:60])
                if entry["kind"] == DOCUMENT:
                    assert not _words(entry["name"]).lower().startswith(
                        ("ví dụ", "lưu ý", "ghi chú")), (code, entry["name"][:60])
                    quantity = entry["quantity"] or {}
                    assert quantity.get("originals") or quantity.get("copies") or \
                        not quantity, (code, entry["name"][:60])


@pytest.mark.parametrize(("code", "expected"), [
    # Household business: the application form, not only the proxy's papers.
    ("1.001612", "Giấy đề nghị đăng ký hộ kinh doanh"),
    # Marriage: the declaration form.
    ("1.000894", "Tờ khai đăng ký kết hôn"),
    # Temporary residence: form CT01, and the example row is not among the documents.
    ("1.004194", "Tờ khai thay đổi thông tin cư trú (Mẫu CT01"),
])
def test_the_main_form_is_in_the_general_case(knowledge: Knowledge, code: str,
                                              expected: str) -> None:
    groups = knowledge.procedures[code]["documents"]["groups"]
    general = [e["name"] for g in groups if g["general"] for e in g["items"]
               if e["kind"] == DOCUMENT]
    assert any(name.startswith(expected) for name in general), general
    assert not any(name.startswith("Ví dụ") for name in general)


def test_permanent_residence_has_no_guessed_general_case(knowledge: Knowledge) -> None:
    # Own home, rented, a boat, a religious house…: the citizen chooses. The boat's papers
    # stand under no "own home" heading.
    groups = knowledge.procedures["1.004222"]["documents"]["groups"]
    assert not any(g["general"] for g in groups)
    for group in groups:
        if group["label"] and "thuộc quyền sở hữu của mình" in group["label"]:
            assert not any("phương tiện" in e["name"] for e in group["items"])


LONG_INTRO = ("Hồ sơ đề nghị chấp thuận việc mua bán, chuyển nhượng phần vốn góp của thành viên "
              "góp vốn cho bên mua, nhận chuyển nhượng là thành viên góp vốn mới của ngân hàng "
              "thương mại trách nhiệm hữu hạn gồm:")


def test_a_long_remark_that_introduces_papers_heads_their_list() -> None:
    assert len(LONG_INTRO.split()) > 30  # longer than a short heading
    last = LONG_INTRO.replace("mới", "hiện tại")
    (group,) = organize([{"case": None, "items": [
        item("Văn bản đề nghị"), item(LONG_INTRO, 0), item("Cam kết thông báo"),
        item(last, 0), item("Lưu ý: nộp tại Ngân hàng Nhà nước", 0)]}])
    kind = {entry["name"]: entry["kind"] for entry in group["items"]}
    assert kind[LONG_INTRO] == HEADING and kind["Cam kết thông báo"] == DOCUMENT
    # No paper follows it: it stays a remark.
    assert kind[last] == NOTE
