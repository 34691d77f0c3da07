"""A report as XLSX, CSV and charts, and the `report` command that writes them.

The store is the one tests/bot/test_reports.py fills, so the figures here are those it checks.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import bot.reports
from bot.report_charts import all_charts
from bot.report_cli import report as report_command
from bot.report_export import Figure, format_value, to_csv, to_xlsx
from bot.reports import Report, build_report
from bot.storage import Store
from tests.bot.test_reports import AFTER_Q1, FIELDS, Q1, seed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHEETS = ["Tổng hợp", "Phản ánh", "Câu hỏi", "Hài lòng", "Tin CCHC"]
CHART_NAMES = ["cau-hoi-theo-tuan", "phan-anh-theo-tuan", "thoi-gian-giai-quyet",
               "hai-long-theo-thang", "tin-cai-cach-hanh-chinh"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    with Store(path) as store:
        seed(store)
    return path


@pytest.fixture
def report(db_path: Path) -> Report:
    with Store(db_path) as store:
        return build_report(store.db, Q1, fields=FIELDS, today=AFTER_Q1)


@pytest.fixture
def empty_report(tmp_path: Path) -> Report:
    with Store(tmp_path / "empty.db") as store:
        return build_report(store.db, Q1, fields=FIELDS, today=AFTER_Q1)


def rows_of(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def row_starting(sheet, *first: object):
    """The first row whose leading cells are `first`, as cells."""
    for row in sheet.iter_rows():
        if tuple(cell.value for cell in row[:len(first)]) == first:
            return row
    raise AssertionError(f"no row starting with {first} in {sheet.title}")


# --- XLSX -------------------------------------------------------------------------------

def test_the_workbook_has_its_sheets_in_order(report: Report) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames == SHEETS


def test_the_summary_sheet_compares_satisfaction_with_the_goal(report: Report) -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["Tổng hợp"]
    assert sheet["A1"].value == "Báo cáo kết quả trợ lý ảo hành chính công — Quý I năm 2026"
    as_of = row_starting(sheet, "Số liệu đến hết ngày")[1]
    assert (as_of.value, as_of.number_format) == (datetime(2026, 3, 31), "dd/mm/yyyy")
    assert [cell.value for cell in row_starting(sheet, "Mục")] == [
        "Mục", "Chỉ tiêu", "Giá trị", "Mục tiêu", "Đánh giá"]
    received = row_starting(sheet, "Phản ánh, kiến nghị", "Số phản ánh tiếp nhận")[2]
    assert (received.value, received.number_format) == (7, "#,##0")
    _, _, rate, goal, verdict = row_starting(sheet, "Mức độ hài lòng", "Tỷ lệ hài lòng")
    assert rate.value == pytest.approx(4 / 6)
    assert rate.number_format == goal.number_format == "0.0%"
    assert (goal.value, verdict.value) == (0.9, "Chưa đạt")
    assert row_starting(sheet, "Tin cải cách hành chính", "Số tin đã đăng")[2].value == 0
    assert sheet.column_dimensions["B"].width > 30


def test_the_petitions_sheet_by_status_and_week(report: Report) -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["Phản ánh"]
    assert row_starting(sheet, "Quá hạn chưa giải quyết")[1].value == 1
    assert row_starting(sheet, "Đã chuyển cơ quan có thẩm quyền")[1].value == 1
    assert row_starting(sheet, "Trang web")[1].value == 3
    in_time = row_starting(sheet, "Tỷ lệ đúng hạn")[1]
    assert (in_time.value, in_time.number_format) == (0.25, "0.0%")
    median = row_starting(sheet, "Thời gian trung vị (ngày)")[1]
    assert (median.value, median.number_format) == (9.0, "0.0")
    assert [cell.value for cell in row_starting(sheet, "Tuần từ ngày")] == [
        "Tuần từ ngày", "Tiếp nhận", "Đã giải quyết", "Quá hạn (cuối tuần)"]
    week = row_starting(sheet, datetime(2026, 1, 12))
    assert [cell.value for cell in week[1:4]] == [0, 0, 1]
    assert week[0].number_format == "dd/mm/yyyy"


def test_the_questions_sheet_by_field_channel_and_week(report: Report) -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["Câu hỏi"]
    birth = row_starting(sheet, "Hộ tịch")
    assert (birth[1].value, birth[2].value, birth[2].number_format) == (2, 0.4, "0.0%")
    assert [cell.value for cell in row_starting(sheet, "Telegram")[:4]] == ["Telegram", 2, 3, 2]
    header = [cell.value for cell in row_starting(sheet, "Tuần từ ngày")]
    assert header[0] == "Tuần từ ngày" and header[-1] == "Tổng"
    assert set(header[1:-1]) == {"Hộ tịch", "Cư trú", "Chưa phân loại",
                                 "Liên hệ, địa chỉ cơ quan"}
    first_week = row_starting(sheet, datetime(2025, 12, 29))
    assert first_week[header.index("Hộ tịch")].value == 1
    assert first_week[len(header) - 1].value == 1


def test_the_satisfaction_sheet_by_subject_and_month(report: Report) -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["Hài lòng"]
    bot_row = row_starting(sheet, "Trợ lý ảo")
    assert [cell.value for cell in bot_row[:3]] == ["Trợ lý ảo", 3, 2]
    assert bot_row[3].value == pytest.approx(2 / 3)
    january = row_starting(sheet, datetime(2026, 1, 1))
    assert [cell.value for cell in january[:5]] == [datetime(2026, 1, 1), 3, 3, 1.0, 0.9]
    assert january[0].number_format == "mm/yyyy"
    assert row_starting(sheet, 5)[1].value == 2  # ratings of 5 stars


def test_an_empty_report_still_makes_a_workbook(empty_report: Report) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(empty_report)))
    assert book.sheetnames == SHEETS
    assert row_starting(book["Phản ánh"], "Chưa có số liệu")


# --- CSV --------------------------------------------------------------------------------

def test_the_csv_starts_with_a_bom_and_has_one_figure_a_line(report: Report) -> None:
    text = to_csv(report)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["Mục", "Chỉ tiêu", "Giá trị"]
    assert all(len(row) == 3 for row in rows)
    assert ["Kỳ báo cáo", "Quý I năm 2026", "2026-Q1"] in rows
    assert ["Phản ánh, kiến nghị", "Số phản ánh tiếp nhận", "7"] in rows
    assert ["Mức độ hài lòng", "Tỷ lệ hài lòng (%)", "66.7"] in rows
    assert ["Phản ánh theo lĩnh vực", "Cư trú", "1"] in rows
    assert ["Câu hỏi theo tuần", "Tuần từ 29/12/2025 · Hộ tịch", "1"] in rows
    assert ["Tin cải cách hành chính", "Số tin đã đăng", "0"] in rows


def test_a_figure_without_data_is_left_empty_in_the_csv(empty_report: Report) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(empty_report)[1:])))
    assert ["Mức độ hài lòng", "Tỷ lệ hài lòng (%)", ""] in rows


def test_values_are_written_the_vietnamese_way() -> None:
    assert format_value(Figure("s", "n", 12345)) == "12.345"
    assert format_value(Figure("s", "n", 0.9166, "percent")) == "91,7%"
    assert format_value(Figure("s", "n", 1234.56, "days")) == "1.234,6"
    assert format_value(Figure("s", "n", None, "percent")) == "chưa có số liệu"
    assert format_value(Figure("s", "n", date(2026, 3, 31), "day")) == "31/03/2026"


# --- charts -----------------------------------------------------------------------------

@pytest.mark.slow
def test_every_chart_renders_as_png_and_as_svg_with_vietnamese_text(report: Report) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = all_charts(report)
        rendered = [(chart, chart.png(), chart.svg()) for chart in charts]
    assert [chart.name for chart in charts] == CHART_NAMES
    for chart, png, svg in rendered:
        assert png.startswith(PNG_SIGNATURE)
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
        assert f"<title>{chart.title}</title>" in svg
    assert "Tỷ lệ hài lòng theo tháng — Quý I năm 2026" in rendered[3][2]
    # Every Vietnamese letter drawn was in the font: matplotlib warns of a missing glyph.
    assert not [w for w in caught if "missing from font" in str(w.message).lower()]


def test_charts_without_data_say_so(empty_report: Report) -> None:
    svgs = {chart.name: chart.svg() for chart in all_charts(empty_report)}
    assert "Chưa có lượt đánh giá nào" in svgs["hai-long-theo-thang"]
    assert "Chưa có tin nào được đăng trong kỳ" in svgs["tin-cai-cach-hanh-chinh"]
    assert "Chưa có phản ánh nào" in svgs["phan-anh-theo-tuan"]


# --- the command ------------------------------------------------------------------------

@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.reports, "catalog_fields", lambda: FIELDS)


@pytest.mark.slow
def test_report_prints_the_summary_and_writes_the_files(
        db_path: Path, tmp_path: Path, catalog: None) -> None:
    xlsx, csv_file, charts = tmp_path / "q1.xlsx", tmp_path / "q1.csv", tmp_path / "charts"
    result = CliRunner().invoke(report_command, [
        "--period", "2026-Q1", "--db", str(db_path), "--today", "2026-04-10",
        "--xlsx", str(xlsx), "--csv", str(csv_file), "--charts", str(charts)])
    assert result.exit_code == 0, result.output
    assert "Báo cáo Quý I năm 2026 — số liệu đến hết ngày 31/03/2026" in result.output
    assert "  Số phản ánh tiếp nhận: 7" in result.output
    assert "  Tỷ lệ hài lòng: 66,7%" in result.output
    assert load_workbook(xlsx).sheetnames == SHEETS
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(path.name for path in charts.iterdir()) == sorted(
        f"{name}.png" for name in CHART_NAMES)
    assert all(path.read_bytes().startswith(PNG_SIGNATURE) for path in charts.iterdir())


def test_report_defaults_to_the_current_quarter(db_path: Path, catalog: None) -> None:
    result = CliRunner().invoke(report_command, ["--db", str(db_path), "--today",
                                                 "2026-02-15"])
    assert result.exit_code == 0, result.output
    assert "Báo cáo Quý I năm 2026 — số liệu đến hết ngày 15/02/2026" in result.output


def test_report_rejects_a_bad_period_by_name(db_path: Path) -> None:
    result = CliRunner().invoke(report_command, ["--period", "2026-Q5", "--db", str(db_path)])
    assert result.exit_code == 2
    assert "'2026-Q5' is not understood" in result.output


def test_report_does_not_create_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = CliRunner().invoke(report_command, ["--db", str(missing)])
    assert result.exit_code == 1
    assert "no database there" in result.output
    assert not missing.exists()


def test_report_names_a_file_that_is_not_the_bots_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    other.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(report_command, ["--db", str(other)])
    assert result.exit_code == 1
    assert "not a database of this bot" in result.output
