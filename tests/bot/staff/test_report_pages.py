"""The reports page: figures of a period, charts as PNG, XLSX and CSV downloads."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.staff.app import staff_mount
from bot.staff.report_pages import report_routes
from tests.bot.staff.conftest import log_in


@pytest.fixture
def reports(site, store) -> TestClient:
    site.clock = lambda: datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    when = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
    petition = store.create_petition("zalo", "2468", content="Đèn đường hỏng",
                                     due_date=date(2026, 10, 19), now=when)
    store.execute("UPDATE petitions SET status = 'answered', answered_at = ? WHERE id = ?",
                  ["2026-10-10T03:00:00+00:00", petition.id])
    for score in (5, 5, 4, 2):
        store.add_rating("web", "page-1", "bot", score, now=when)
    return TestClient(Starlette(routes=[staff_mount(site, report_routes)]))


@pytest.mark.slow
def test_the_page_shows_the_quarters_figures_and_its_charts(reports) -> None:
    log_in(reports, "minh")  # a viewer may read reports

    page = reports.get("/staff/reports", params={"period": "2026-Q4"})

    assert page.status_code == 200
    assert "Báo cáo Quý IV năm 2026" in page.text
    assert "75,0%" in page.text                       # 3 of 4 ratings satisfied
    assert "Chưa đạt (mục tiêu ≥ 90%)" in page.text
    assert page.text.count('src="/staff/reports/charts/') == 5
    # The plan's two reform news items a month, month by month (none sent here).
    assert "0/2 tháng đạt ít nhất 2 tin" in page.text   # October and November so far
    assert "Tháng 10/2026: 0 tin" in page.text
    assert '<option value="2026-9M"' in page.text


@pytest.mark.slow
def test_charts_download_as_png(reports) -> None:
    log_in(reports, "minh")
    page = reports.get("/staff/reports", params={"period": "2026-Q4"}).text
    name = page.split('src="/staff/reports/charts/')[1].split(".png")[0]

    chart = reports.get(f"/staff/reports/charts/{name}.png", params={"period": "2026-Q4"})

    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert reports.get("/staff/reports/charts/nothing.png").status_code == 404


@pytest.mark.slow
def test_the_report_downloads_as_xlsx_and_csv_and_is_audited(reports, site) -> None:
    log_in(reports, "lan")

    xlsx = reports.get("/staff/reports/export.xlsx", params={"period": "2026"})
    csv = reports.get("/staff/reports/export.csv", params={"period": "2026"})

    assert xlsx.status_code == 200
    assert 'filename="bao-cao-2026.xlsx"' in xlsx.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert "Tổng hợp" in workbook.sheetnames
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert [entry.details["format"] for entry in site.audit.recent()
            if entry.action == "report.export"] == ["csv", "xlsx"]


def test_a_period_of_chosen_dates_and_a_bad_period(reports) -> None:
    log_in(reports, "minh")
    chosen = reports.get("/staff/reports", params={"from": "2026-10-01", "to": "2026-10-31"})
    bad = reports.get("/staff/reports", params={"period": "2026-Q7"})

    assert "Từ 01/10/2026 đến 31/10/2026" in chosen.text
    assert bad.status_code == 200 and "Kỳ báo cáo không hợp lệ" in bad.text
    assert "Quý IV năm 2026" in bad.text


def test_reports_need_a_log_in(reports) -> None:
    assert reports.get("/staff/reports/export.xlsx",
                       follow_redirects=False).status_code == 303
