"""Fees said as the cell and its note say them (handlers/fee_notes.py, procedure_facts)."""

from __future__ import annotations

from datetime import date

from handlers.fee_notes import dated_rules, note_text
from handlers.procedure_facts import fee_lines, fee_text
from knowledge.base import Knowledge

HALVED = ("- Cấp lại thẻ căn cước: 70.000 đồng/thẻ căn cước. Kể từ ngày 01/01/2025 đến hết "
          "ngày 31/12/2025, mức thu lệ phí khi nộp trực tuyến bằng 50% mức thu lệ phí quy "
          "định. - Kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 mức thu lệ phí cấp lại thẻ "
          "căn cước bằng 50% mức thu nêu trên theo quy định tại Thông tư số 64/2025/TT-BTC.")


def fee(amount: int | None, detail: str, free: bool = False, ok: bool = False) -> dict:
    return {"amount": amount, "detail": detail, "free": free, "ok": ok, "currency": "VND",
            "per": None, "province_decides": False}


def test_a_halved_fee_is_said_with_its_end_date_while_it_lasts(t) -> None:
    text = note_text(fee(70000, HALVED), t, date(2026, 12, 3))
    assert "70.000 đồng" in text and "35.000 đồng" in text and "31/12/2026" in text
    # The reduction that ended in 2025 is not offered as today's.
    assert "31/12/2025" not in text


def test_after_every_reduction_ended_the_cell_amount_is_said_so(t) -> None:
    text = note_text(fee(70000, HALVED), t, date(2027, 1, 2))
    assert text == t("fee.change_ended", value="70.000 đồng", date="31/12/2026")


def test_a_waiver_to_come_is_said_with_both_dates(t) -> None:
    detail = "đồng/lần Miễn lệ phí từ ngày 07/4/2027 đến 30/6/2027 theo Thông tư 40/2026/TT-BTC"
    text = note_text(fee(5000000, detail), t, date(2026, 12, 3))
    assert t("fee.between", start="07/04/2027", end="30/06/2027") in text
    assert t("fee.free") in text and "5.000.000 đồng" in text


def test_a_note_with_no_plain_rule_is_quoted_beside_the_cell(t) -> None:
    detail = "Sát hạch lý thuyết cấp lại giấy phép; Phí sát hạch thực hành theo biểu riêng"
    text = note_text(fee(400000, detail), t, date(2026, 12, 3))
    assert text.startswith(t("fee.note_says", note=detail)[:30])
    assert "400.000 đồng" in text


def test_free_is_not_said_alone_when_the_note_speaks_of_an_amount(t) -> None:
    said = fee_text(fee(0, "Thu 135.000 đồng/giấy phép; 115.000 đồng nếu nộp trực tuyến",
                        free=True, ok=True), t, date(2026, 12, 3))
    assert "135.000 đồng" in said
    assert fee_text(fee(0, "", free=True, ok=True), t) == t("fee.free")


def test_dated_rules_read_a_later_amount() -> None:
    (rule,) = dated_rules("- 25.000đ/tem (áp dụng đến hết ngày 31/12/2026 theo Thông tư số "
                          "64/2025/TT-BTC).")
    assert (rule.amount, rule.end) == (25000, date(2026, 12, 31))


def test_real_records_say_the_note_s_amounts(knowledge: Knowledge, t) -> None:
    today = date(2026, 12, 3)
    reissued_id = " ".join(fee_lines(knowledge.procedures["1.014064"], t, today))
    assert "70.000 đồng" in reissued_id and "35.000 đồng" in reissued_id
    exchanged_id = " ".join(fee_lines(knowledge.procedures["1.014063"], t, today))
    assert "50.000 đồng" in exchanged_id and "25.000 đồng" in exchanged_id
    temporary = " ".join(fee_lines(knowledge.procedures["1.004194"], t, today))
    assert "10.000 đồng (Đăng ký tạm trú theo danh sách)" in temporary


def test_a_time_says_from_when_it_counts_in_the_record_s_words(t) -> None:
    from handlers.procedure_facts import duration_text

    time = {"ok": True, "amount": 3, "unit": "working_days", "raw": "3 Ngày làm việc"}
    note = "Trong thời hạn 03 ngày làm việc kể từ ngày nhận được hồ sơ hợp lệ, cơ quan …"
    assert duration_text(time, t, note) == \
        t("duration.working_days", amount="3") + ", kể từ ngày nhận được hồ sơ hợp lệ"
    assert duration_text(time, t, "Nộp trực tiếp tại Công an xã.") == \
        t("duration.working_days", amount="3")


def test_the_dialogue_reads_dated_fees_against_the_citizen_s_date(knowledge: Knowledge, t,
                                                                  tmp_path) -> None:
    from datetime import datetime, timedelta, timezone

    from tests.bot.test_conversation import Chat

    vietnam = timezone(timedelta(hours=7))
    # 1 January 2027, 00:30 in Viet Nam (still 31 December in UTC): the halving has ended.
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=vietnam)
    chat = Chat(knowledge, tmp_path / "bot.db", clock=lambda: new_year)
    try:
        texts = [reply.text for reply in chat.turn("cấp lại thẻ căn cước hết bao nhiêu tiền",
                                                   user="u1").replies]
    finally:
        chat.close()
    said = "\n".join(texts)
    assert t("fee.change_ended", value="70.000 đồng", date="31/12/2026") in said
    assert "35.000 đồng" not in said


def test_a_time_per_case_is_said_with_its_case(t) -> None:
    from handlers.procedure_facts import duration_text

    time = {"ok": True, "amount": 3, "unit": "working_days", "raw": "3 Ngày làm việc"}
    note = "- Trường hợp cần xác minh nguồn gốc lâm sản: trong thời hạn 03 ngày làm việc."
    assert duration_text(time, t, note) == t("duration.working_days", amount="3") + \
        " (Trường hợp cần xác minh nguồn gốc lâm sản)"


def test_a_short_note_with_another_case_s_time_is_quoted_whole_first(t) -> None:
    from handlers.procedure_facts import duration_text

    time = {"ok": True, "amount": 35, "unit": "days", "raw": "35 Ngày"}
    note = "35 ngày đối với thành lập chi nhánh; 28 ngày đối với thành lập phòng giao dịch"
    assert duration_text(time, t, note) == t(
        "duration.by_case", note=note, value=t("duration.days", amount="35"))
    # A long note is not cut into a quote: the cell's time alone.
    long_note = "Đối với các trường hợp đủ điều kiện, " * 10 + "trong 5 ngày, sau đó 20 ngày"
    assert duration_text(time, t, long_note) == t("duration.days", amount="35")


def test_who_is_exempt_is_quoted_with_the_fee(knowledge, t) -> None:
    from handlers.procedures import answer

    text = answer(knowledge.procedures["1.005461"], "fee", t).text
    assert "Miễn lệ phí cho người thuộc gia đình có công với cách mạng" in text


def test_a_dated_waiver_or_a_bare_one_is_not_a_group_exemption() -> None:
    from handlers.fee_notes import waiver_sentences

    assert waiver_sentences("Miễn lệ phí từ ngày 07/4/2026 đến hết ngày 30/6/2026.") == []
    assert waiver_sentences("Miễn lệ phí (Thông tư số 47/2019/TT-BTC);") == []
    assert waiver_sentences("8.000 đồng/văn bản.Miễn lệ phí cho người khuyết tật.") == [
        "Miễn lệ phí cho người khuyết tật."]


def test_an_amount_is_said_with_the_case_its_short_note_names(knowledge, t) -> None:
    from handlers.procedures import answer

    text = answer(knowledge.procedures["1.011873"], "fee", t).text
    assert "40.000 đồng (Xe ô tô từ 10 chỗ ngồi trở lên)" in text
    assert "90.000 đồng (Xe ô tô dưới 10 chỗ ngồi (không bao gồm xe cứu thương))" in text


def test_a_regulation_or_an_amount_in_a_note_is_not_taken_for_a_case() -> None:
    from handlers.procedure_facts import case_note

    assert case_note("Theo Thông tư số 172/2010/TT-BTC đối với hàng hóa") is None
    assert case_note("+ Thị thực có giá trị nhiều lần: 50USD/thị thực điện tử.") is None
    assert case_note("Xe ô tô dưới 10 chỗ ngồi: 90.000 đồng/ giấy", 40000) is None
