"""Record parsing checked against real national-database records.

The records in fixtures/records.jsonl are copied verbatim from the national
procedure database; expected values were read off the portal text by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.importer.documents import parse_documents, split_form
from knowledge.importer.legal import parse_legal_basis
from knowledge.importer.modes import parse_fee, parse_modes, parse_time
from knowledge.importer.record import parse_record, unparsed_record
from knowledge.importer.results import parse_results
from knowledge.importer.steps import parse_steps

FIXTURES = Path(__file__).parent / "fixtures" / "records.jsonl"
MODES_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"


@pytest.fixture(scope="module")
def raw_records() -> dict[str, dict]:
    with FIXTURES.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return {record["ma_thu_tuc"]: record for record in records}


@pytest.fixture(scope="module")
def parsed(raw_records) -> dict[str, dict]:
    return {code: parse_record(raw) for code, raw in raw_records.items()}


def modes_by_label(record: dict) -> dict[str, dict]:
    return {item["label"]: item for item in record["modes"]["items"]}


def all_items(record: dict) -> list[dict]:
    return [item for group in record["documents"]["groups"] for item in group["items"]]


# --- the record as a whole -------------------------------------------------


def test_record_has_exactly_the_agreed_keys(parsed):
    assert set(parsed["1.004222"]) == {
        "code", "name", "source_url", "decision", "kind", "levels", "field", "ministry",
        "audience", "agencies", "modes", "documents", "steps", "results", "conditions",
        "legal_basis", "related",
    }


def test_plain_fields_are_copied_and_no_info_becomes_none(parsed):
    record = parsed["1.004222"]
    assert record["code"] == "1.004222"
    assert record["name"] == "Đăng ký thường trú"
    assert record["source_url"].startswith("https://dichvucong.gov.vn/thu-tuc-hanh-chinh/")
    assert record["decision"] == "1523/QĐ-BCA-C06"
    assert record["ministry"] == "bo-cong-an"
    assert record["related"] is None  # "Không có thông tin" in the source


def test_levels_are_split_on_commas(parsed, raw_records):
    assert raw_records["1.008335"]["cap_thuc_hien"] == "Cấp bộ, Cấp tỉnh, Cấp xã"
    assert parsed["1.008335"]["levels"] == ["Cấp bộ", "Cấp tỉnh", "Cấp xã"]


def test_agencies_keep_each_role_and_empty_roles_are_none(parsed):
    assert parsed["1.014061"]["agencies"] == {
        "competent": "Cục cảnh sát quản lý hành chính về trật tự, xã hội",
        "executing": "Công an cấp Xã",
        "delegated": None,
        "cooperating": None,
        "submit_address": None,
    }


def test_conditions_with_no_info_are_none(parsed):
    assert parsed["1.014061"]["conditions"] is None


# --- modes: time ------------------------------------------------------------


def test_working_days_time_is_read(parsed):
    online = modes_by_label(parsed["1.004222"])["Trực tuyến"]
    assert online["time"] == {
        "raw": "7 Ngày làm việc", "amount": 7, "unit": "working_days", "ok": True,
    }


def test_plain_days_differ_from_working_days(parsed):
    rows = modes_by_label(parsed["1.008559"])
    assert rows["Trực tuyến"]["time"]["unit"] == "days"
    assert rows["Trực tuyến"]["time"]["amount"] == 40
    assert rows["Dịch vụ bưu chính"]["time"]["unit"] == "working_days"
    assert rows["Dịch vụ bưu chính"]["time"]["amount"] == 6


def test_bare_number_time_has_no_unit_and_is_not_ok(parsed):
    for row in parsed["1.001193"]["modes"]["items"]:
        assert row["time"] == {"raw": "1", "amount": 1, "unit": None, "ok": False}


def test_time_with_no_info_is_null_and_not_ok(parsed):
    online = modes_by_label(parsed["1.001612"])["Trực tuyến"]
    assert online["time"] == {"raw": None, "amount": None, "unit": None, "ok": False}


def test_words_in_the_time_cell_are_kept_but_not_read_as_a_duration(parsed):
    row = parsed["1.008335"]["modes"]["items"][0]
    assert row["time"]["raw"] == "Không phải trả kết quả cho người nộp thuế"
    assert row["time"]["amount"] is None
    assert row["time"]["ok"] is False
    assert row["fee"]["free"] is True


# --- modes: fees ------------------------------------------------------------


def test_fee_amounts_differ_per_mode(parsed):
    rows = modes_by_label(parsed["1.004222"])
    assert rows["Trực tuyến"]["fee"]["amount"] == 10000
    assert rows["Trực tuyến"]["fee"]["currency"] == "VND"
    assert rows["Trực tuyến"]["fee"]["ok"] is True
    assert rows["Trực tiếp"]["fee"]["amount"] == 20000
    assert rows["Trực tiếp"]["fee"]["raw"] == "20,000 Việt Nam Đồng"


def test_fee_text_in_parentheses_is_kept_as_detail(parsed):
    online = modes_by_label(parsed["1.004222"])["Trực tuyến"]
    assert online["fee"]["detail"].startswith("Trường hợp công dân nộp hồ sơ qua cổng")
    assert online["note"] is None


def test_free_fee_is_zero(parsed):
    fee = parsed["1.008559"]["modes"]["items"][0]["fee"]
    assert fee["free"] is True
    assert fee["amount"] == 0
    assert fee["ok"] is True


def test_province_decided_fee_is_flagged(parsed):
    fees = [row["fee"] for row in parsed["1.001612"]["modes"]["items"]]
    assert [fee["amount"] for fee in fees] == [150000, 150000, 50000]
    assert all(fee["province_decides"] for fee in fees)


def test_free_fee_that_the_province_sets_is_flagged(parsed):
    fee = parsed["1.001695"]["modes"]["items"][0]["fee"]
    assert fee["free"] is True
    assert fee["province_decides"] is True


def test_fee_without_council_mention_is_not_province_decided(parsed):
    assert not any(row["fee"]["province_decides"] for row in parsed["1.004222"]["modes"]["items"])


def test_per_page_fee_and_usd_fee_in_the_same_mode(parsed):
    first, second = parsed["2.000815"]["modes"]["items"]
    assert first["mode"] == second["mode"] == "in_person"
    assert first["fee"]["amount"] == 2000
    assert first["fee"]["currency"] == "VND"
    assert first["fee"]["per"] == "trang"
    assert first["note"].startswith("Tại Ủy ban nhân dân cấp xã")
    assert second["fee"]["amount"] == 10
    assert second["fee"]["currency"] == "USD"
    assert second["fee"]["per"] == "bản"
    assert second["note"] == "Tại cơ quan đại diện: 10 USD/bản."


def test_usd_fee_with_working_days(parsed):
    row = parsed["1.000771"]["modes"]["items"][0]
    assert row["fee"]["amount"] == 10
    assert row["fee"]["currency"] == "USD"
    assert row["fee"]["per"] == "lần"
    assert row["fee"]["ok"] is True


def test_glued_time_and_amount_split_only_one_way_is_still_not_ok(parsed):
    # "Trực tuyến120,000 VNĐ": only "1" + "20,000" is well formed, but it is
    # an inference, so neither value is trusted.
    record = parsed["1.000005"]
    row = record["modes"]["items"][0]
    assert row["time"] == {"raw": "1", "amount": 1, "unit": None, "ok": False}
    assert row["fee"]["amount"] == 20000
    assert row["fee"]["ok"] is False
    assert record["modes"]["ok"] is False


def test_glued_time_and_amount_with_two_readings_is_not_split(parsed):
    # "Trực tiếp125 VNĐ": 1 + 25 or 12 + 5 — no guess.
    row = modes_by_label(parsed["2.002057"])["Trực tiếp"]
    assert row["time"]["raw"] is None
    assert row["fee"]["raw"] == "125 VNĐ"
    assert row["fee"]["amount"] is None
    assert row["fee"]["ok"] is False


def test_an_amount_in_thousands_is_read_from_its_note(parsed):
    # The portal shows "120 VNĐ(20.000 vnđ /tờ khai)": a time of 1 glued to 20 (thousands),
    # which the note confirms. The row stays unsure (the time has no unit); the amount is not.
    fee = parsed["1.000014"]["modes"]["items"][0]["fee"]
    assert fee["amount"] == 20000
    assert fee["ok"] is False and not fee["amount_doubtful"]


def test_an_implausibly_small_amount_the_note_does_not_confirm_is_not_ok():
    from knowledge.importer.modes import parse_fee

    fee = parse_fee("20 VNĐ", "Thu theo Thông tư 172/2010/TT-BTC")
    assert fee["amount"] == 20 and fee["ok"] is False and fee["amount_doubtful"]


def test_a_thousands_mark_ends_no_sentence_of_a_fee_note():
    from knowledge.importer.modes import parse_fee

    # "1.000.000" must not split "áp dụng mức phí …" from its dates.
    fee = parse_fee("2,000,000 Việt Nam Đồng", "(áp dụng mức phí 1.000.000 đồng/hồ sơ kể từ "
                    "ngày 01/7/2025 đến hết ngày 31/12/2026 theo Thông tư số 64/2025/TT-BTC)")
    assert fee["ok"] is False   # a dated rate: said from its note, never as 2.000.000 alone


def test_fee_waived_for_a_date_range_is_not_ok(parsed):
    fees = [row["fee"] for row in parsed["1.003818"]["modes"]["items"]]
    assert [fee["amount"] for fee in fees] == [15000000] * 3
    assert not any(fee["ok"] for fee in fees)


def test_mode_labels_inside_notes_do_not_start_rows(parsed):
    assert [row["mode"] for row in parsed["1.004222"]["modes"]["items"]] == [
        "online", "in_person",
    ]


# --- documents --------------------------------------------------------------


def test_form_file_is_split_from_the_document_name(parsed):
    first = all_items(parsed["1.014061"])[0]
    assert first["form"] == "Mẫu DC01 Phiếu thu thập thông tin dân cư.docx"
    assert first["name"] == (
        "Phiếu thu thập thông tin dân cư (mẫu DC01 ban hành kèm theo Thông tư số "
        "53/2025/TT-BCA ngày 01/7/2025 của Bộ Công an)"
    )
    assert first["quantity"] == {"raw": "1 bản chính", "originals": 1, "copies": 0}


def test_copies_only_quantity(parsed):
    item = all_items(parsed["1.001765"])[1]
    assert item["quantity"] == {"raw": "0 bản chính,1 bản sao", "originals": 0, "copies": 1}


def test_documents_are_grouped_by_case(parsed):
    groups = parsed["2.002267"]["documents"]["groups"]
    assert [group["case"] for group in groups] == [
        "Trường hợp (1): Đề nghị ký thoả thuận cung cấp dịch vụ T-VAN:",
        "Trường hợp (2): Thay đổi, bổ sung thông tin cung cấp dịch vụ T-VAN"
        " hoặc thông tin kết nối:",
        "Trường hợp (3): Ngừng cung cấp dịch vụ T-VAN:",
    ]
    assert [len(group["items"]) for group in groups] == [3, 1, 1]
    assert parsed["2.002267"]["documents"]["ok"] is True


def test_single_case_placeholder_gives_no_heading(parsed):
    assert parsed["1.014061"]["documents"]["groups"][0]["case"] is None


def test_star_headings_become_cases(parsed):
    cases = [group["case"] for group in parsed["1.001765"]["documents"]["groups"]]
    assert cases == ["Cá nhân:", "* Hồ sơ do Cơ sở đào tạo lái xe nộp:"]


def test_chained_form_files_are_all_kept(parsed):
    item = parsed["1.002349"]["documents"]["groups"][1]["items"][1]
    assert item["form"] == "MauDanhsachhanhkhach.docx; MauDanhsachthuyenvien (1).docx"
    assert item["name"].endswith("Danh sách hành khách (nếu có) theo mẫu.")


def test_zero_padded_count_inside_a_name_does_not_end_the_row(parsed):
    names = [item["name"] for item in all_items(parsed["1.004281"])]
    assert names == [
        "01 Giấy đề nghị phê duyệt Kế hoạch an ninh tàu biển theo mẫu quy định;",
        "01 bản chính Kế hoạch an ninh tàu biển.",
    ]


def test_form_number_glued_to_the_quantity_stays_in_the_name(parsed):
    item = next(item for item in all_items(parsed["1.012781"]) if "Mẫu số 18" in item["name"])
    assert item["name"].endswith("theo Mẫu số 18")
    assert item["quantity"]["raw"] == "1 bản chính,1 bản sao"


def test_unclear_form_boundary_is_not_ok(parsed):
    # "…sinh họcĐơn đề nghi.CSBT.docx": where does the file name start?
    assert parsed["1.008682"]["documents"]["ok"] is False


def test_text_after_the_last_quantity_is_kept_unquantified(parsed):
    documents = parsed["1.011435"]["documents"]
    last = documents["groups"][-1]["items"][-1]
    assert last["quantity"] is None
    assert last["name"].startswith("Trường hợp nộp hồ sơ qua hệ thống đăng ký trực tuyến")
    assert documents["ok"] is False


def test_empty_documents_field_is_not_read_as_no_documents(parsed):
    assert parsed["1.010992"]["documents"] == {"raw": None, "ok": False, "groups": []}


# --- results ----------------------------------------------------------------


def test_several_results_with_codes(parsed):
    assert parsed["3.000333"]["results"]["items"] == [
        {"name": "Phiếu Lý lịch tư pháp số 2 (Cấp tỉnh)", "code": "KQ.G01.000199"},
        {"name": "Phiếu Lý lịch tư pháp số 1 (Cấp tỉnh)", "code": "KQ.G01.000200"},
    ]
    assert parsed["3.000333"]["results"]["ok"] is True


def test_page_furniture_after_keywords_is_dropped(parsed, raw_records):
    assert "Từ khóa" in raw_records["3.000333"]["ket_qua_xu_ly"]
    assert "Từ khóa" not in parsed["3.000333"]["results"]["raw"]


def test_result_without_a_name_is_not_ok(parsed):
    results = parsed["1.003482"]["results"]
    assert results["items"] == [{"name": "", "code": "KQ.G01.000279"}]
    assert results["ok"] is False


def test_empty_results_field(parsed):
    assert parsed["1.000014"]["results"] == {"raw": None, "ok": False, "items": []}


# --- legal basis ------------------------------------------------------------


def test_legal_basis_pairs_with_repeated_numbers(parsed):
    legal = parsed["1.000005"]["legal_basis"]
    assert legal["items"] == [
        {"title": "Luật 54/2014/QH13", "number": "54/2014/QH13"},
        {"title": "Thông tư 92/2015/TT-BTC", "number": "92/2015/TT-BTC"},
        {"title": "Luật 78/2006/QH11", "number": "78/2006/QH11"},
    ]
    assert legal["ok"] is True


def test_number_inside_a_title_does_not_end_the_row(parsed):
    second = parsed["1.004222"]["legal_basis"]["items"][1]
    assert second["title"].startswith("Thông tư số 53/2025/TT-BCAngày 01/7/2025 của Bộ Công an")
    assert second["number"] == "53/2025/TT-BCA"


def test_year_glued_to_the_number_is_split_off(parsed):
    items = parsed["1.009501"]["legal_basis"]["items"]
    row = next(item for item in items if item["number"] == "76/2025/QH15")
    assert row["title"] == "Luật sửa đổi, bổ sung một số điều của Luật Doanh nghiệp 2020"


def test_truncated_number_cell_makes_legal_basis_not_ok(parsed):
    # "… ngày 28/4/202225Luật số 56/2024/QH15 …": the cell "25" lost its number.
    assert parsed["1.009501"]["legal_basis"]["ok"] is False


def test_legal_basis_with_no_info(parsed):
    assert parsed["1.000016"]["legal_basis"] == {"raw": None, "ok": False, "items": []}


# --- steps ------------------------------------------------------------------


def test_numbered_steps(parsed):
    steps = parsed["1.014061"]["steps"]
    assert steps["ok"] is True
    assert len(steps["items"]) == 7
    assert steps["items"][1].startswith("Bước 2: Công dân cung cấp thông tin")


def test_text_before_step_one_is_kept_first(parsed):
    items = parsed["1.009498"]["steps"]["items"]
    assert items[0] == "Nộp hồ sơ"
    assert items[1].startswith("Bước 1: Trong thời hạn 15 ngày")


def test_unnumbered_steps_with_nested_bullets_are_not_ok(parsed):
    steps = parsed["1.001193"]["steps"]
    assert steps["ok"] is False
    assert steps["items"][0].startswith("- Nếu lựa chọn hình thức nộp hồ sơ trực tiếp")


# --- text we cannot read is flagged, never guessed --------------------------


def test_unreadable_time_is_not_guessed():
    assert parse_time("khoảng một tuần") == {
        "raw": "khoảng một tuần", "amount": None, "unit": None, "ok": False,
    }


def test_unreadable_fee_is_not_guessed():
    fee = parse_fee("theo thỏa thuận")
    assert fee["amount"] is None
    assert fee["free"] is False
    assert fee["ok"] is False


def test_malformed_amount_is_not_guessed():
    fee = parse_fee("1100,000 VNĐ")
    assert fee["amount"] is None
    assert fee["currency"] == "VND"
    assert fee["ok"] is False


def test_modes_table_without_rows_is_not_ok():
    modes = parse_modes(MODES_HEADER + "Nộp hồ sơ qua thư điện tử")
    assert modes == {"raw": MODES_HEADER + "Nộp hồ sơ qua thư điện tử", "ok": False, "items": []}


def test_documents_without_the_table_header_are_not_ok():
    documents = parse_documents("Đơn đề nghị1 bản chính")
    assert documents["ok"] is False
    assert documents["groups"] == []


def test_form_without_a_visible_start_is_left_in_the_name():
    assert split_form("Đơn đề nghị theo mẫu quy địnhvăn bản đề nghị.docx") == (
        "Đơn đề nghị theo mẫu quy địnhvăn bản đề nghị.docx", None, False,
    )


def test_results_without_codes_are_not_ok():
    results = parse_results("Giấy chứng nhận đăng ký")
    assert results["ok"] is False
    assert results["items"] == [{"name": "Giấy chứng nhận đăng ký", "code": None}]


def test_legal_basis_without_numbers_is_not_ok():
    legal = parse_legal_basis("Tên văn bản pháp lýMã văn bảnLuật Đất đai")
    assert legal["ok"] is False
    assert legal["items"] == [{"title": "Luật Đất đai", "number": None}]


def test_steps_with_only_a_reference_to_a_step_are_not_ok():
    steps = parse_steps("Nộp hồ sơ.\n+ Nếu thiếu, quay lại Bước 2.")
    assert steps["ok"] is False


def test_unparsed_record_keeps_source_text_and_trusts_nothing(raw_records):
    record = unparsed_record(raw_records["1.004222"], "ValueError: boom")
    assert record["code"] == "1.004222"
    assert record["modes"]["raw"].startswith(MODES_HEADER)
    assert record["parse_error"] == "ValueError: boom"
    for key in ("modes", "steps", "results", "legal_basis", "documents"):
        assert record[key]["ok"] is False
