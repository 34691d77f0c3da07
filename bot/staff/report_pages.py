"""The reports page: the plan's figures for a period, its charts, and the files to download.

    GET /staff/reports?period=2026-Q1             (or ?from=2026-03-01&to=2026-04-15)
    GET /staff/reports/export.xlsx?period=...     GET /staff/reports/export.csv?period=...
    GET /staff/reports/charts/{name}.png?period=...

A report is read from its own read-only connection in one transaction (a consistent
snapshot while the bot keeps writing), in a worker thread so that the chat is not held up,
and kept for a minute: the page and its five charts ask for the same report at once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.report_charts import CHARTS
from bot.report_export import format_value, headline, to_csv, to_xlsx
from bot.reports import Period, Report, imported_fields, snapshot_report
from bot.staff.site import StaffSite
from bot.storage.database import open_read_only
from bot.vocabulary import VIETNAM

CACHE_SECONDS = 60
log = logging.getLogger(__name__)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportCache:
    """Reports by (period, day), for CACHE_SECONDS; built one at a time."""

    def __init__(self, db_path: Path, clock=time.monotonic) -> None:
        self.db_path = db_path
        self.clock = clock
        self._lock = threading.Lock()
        self._reports: dict[tuple[str, date], tuple[float, Report]] = {}

    def get(self, period: Period, today: date) -> Report:
        key = (period.key, today)
        with self._lock:
            cached = self._reports.get(key)
            if cached is not None and self.clock() - cached[0] < CACHE_SECONDS:
                return cached[1]
            report = self._build(period, today)
            self._reports = {k: v for k, v in self._reports.items()
                             if self.clock() - v[0] < CACHE_SECONDS}
            self._reports[key] = (self.clock(), report)
            return report

    def _build(self, period: Period, today: date) -> Report:
        conn = open_read_only(self.db_path)
        try:
            return snapshot_report(conn, period, fields=imported_fields(log.warning),
                                   today=today)
        finally:
            conn.close()


def report_routes(site: StaffSite, guard) -> list[Route]:
    cache = ReportCache(Path(site.store.path))

    def today() -> date:
        return site.clock().astimezone(VIETNAM).date()

    def chosen_period(request: Request) -> tuple[Period | None, str | None]:
        params = request.query_params
        try:
            if params.get("from") and params.get("to"):
                return Period.between(date.fromisoformat(params["from"]),
                                      date.fromisoformat(params["to"])), None
            if params.get("period"):
                return Period.parse(params["period"]), None
        except ValueError:
            return None, "Kỳ báo cáo không hợp lệ; đang hiển thị quý hiện tại."
        return Period.quarter_of(today()), None

    async def report_of(request: Request) -> tuple[Report, str | None]:
        period, problem = chosen_period(request)
        return await run_in_threadpool(cache.get, period or Period.quarter_of(today()),
                                       today()), problem

    async def page(request: Request) -> Response:
        report, problem = await report_of(request)
        figures = [(figure, format_value(figure)) for figure in headline(report)]
        return site.render(request, "reports.html", report=report, figures=figures,
                           problem=problem, choices=_choices(today()),
                           charts=[(name, f"{caption} — {report.period.label}")
                                   for name, (caption, _) in CHARTS.items()])

    async def xlsx(request: Request) -> Response:
        report, _ = await report_of(request)
        site.record(request, "report.export", target=report.period.key,
                    details={"format": "xlsx"})
        content = await run_in_threadpool(to_xlsx, report)
        return _download(content, XLSX_TYPE, f"bao-cao-{report.period.key}.xlsx")

    async def csv(request: Request) -> Response:
        report, _ = await report_of(request)
        site.record(request, "report.export", target=report.period.key,
                    details={"format": "csv"})
        return _download(to_csv(report).encode("utf-8"), "text/csv; charset=utf-8",
                         f"bao-cao-{report.period.key}.csv")

    async def chart(request: Request) -> Response:
        report, _ = await report_of(request)
        known = CHARTS.get(request.path_params["name"])
        if known is None:
            return site.refuse(request, 404, "not_found")
        png = await run_in_threadpool(lambda: known[1](report).png())
        return Response(png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=60"})

    return [
        Route("/staff/reports", guard(page, role="viewer")),
        Route("/staff/reports/export.xlsx", guard(xlsx, role="viewer")),
        Route("/staff/reports/export.csv", guard(csv, role="viewer")),
        Route("/staff/reports/charts/{name}.png", guard(chart, role="viewer")),
    ]


def _choices(today: date) -> list[tuple[str, str]]:
    """The usual report periods of this year and the last, for the period menu."""
    choices = []
    for year in (today.year, today.year - 1):
        for period in (*(Period.quarter(year, n) for n in (1, 2, 3, 4)),
                       Period.first_half(year), Period.nine_months(year),
                       Period.whole_year(year)):
            if period.start <= today:
                choices.append((period.key, period.label))
    return choices


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
