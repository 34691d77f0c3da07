"""A report as an Excel workbook or a CSV file, in Vietnamese, for the quarterly returns.

Example:
    from pathlib import Path
    from bot.report_export import to_csv, to_xlsx
    from bot.reports import Period, build_report

    report = build_report(store.db, Period.parse("2026-H1"))
    Path("bao-cao.xlsx").write_bytes(to_xlsx(report))
    Path("bao-cao.csv").write_text(to_csv(report), encoding="utf-8", newline="")

The workbook has the sheets "Tổng hợp" (headline figures against the provincial goals),
"Phản ánh", "Câu hỏi", "Hài lòng" and "Tin CCHC"; numbers are numbers, rates are cells
formatted as percentages and weeks and months are dates, so staff can total and chart them
in Excel. The CSV has one figure a line (section, figure, value) and starts with a BOM, which
is how Excel knows a CSV is UTF-8 and shows Vietnamese letters correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports import (
    CHANNEL_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    SUBJECT_LABELS,
    Report,
    Share,
)

COUNT, PERCENT, DAYS, TEXT, DAY, MONTH = "count", "percent", "days", "text", "day", "month"
_NUMBER_FORMATS = {COUNT: "#,##0", PERCENT: "0.0%", DAYS: "0.0", DAY: "dd/mm/yyyy",
                   MONTH: "mm/yyyy"}
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Figure:
    """One line of the report: what it is, its value and how to show the value."""

    section: str
    name: str
    value: int | float | str | date | None
    kind: str = COUNT


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def verdict(meets: bool | None) -> str:
    return {True: "Đạt", False: "Chưa đạt", None: "Chưa có số liệu"}[meets]


def format_value(figure: Figure) -> str:
    """A figure's value as Vietnamese writes it: 1.234 · 91,7% · 3,5 · 31/03/2026."""
    value = figure.value
    if value is None:
        return "chưa có số liệu"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if figure.kind == PERCENT:
        return _vietnamese_number(f"{float(value) * 100:,.1f}") + "%"
    if figure.kind == DAYS:
        return _vietnamese_number(f"{float(value):,.1f}")
    if isinstance(value, int | float):
        return _vietnamese_number(f"{value:,}")
    return str(value)


def _vietnamese_number(english: str) -> str:
    """1,234.5 -> 1.234,5: Vietnamese groups thousands with dots and uses a decimal comma."""
    return english.replace(",", " ").replace(".", ",").replace(" ", ".")


def headline(report: Report) -> list[Figure]:
    """The figures the provincial plan asks for, in the order a return lists them."""
    q, p, s, a = report.questions, report.petitions, report.satisfaction, report.announcements
    questions, petitions, satisfaction, news = (
        "Câu hỏi", "Phản ánh, kiến nghị", "Mức độ hài lòng", "Tin cải cách hành chính")
    figures = [
        Figure(questions, "Số câu hỏi đã trả lời", q.answered),
        Figure(questions, "Số tin nhắn người dân gửi", sum(q.incoming_messages.values())),
        Figure(questions, "Số người dân đã nhắn tin", sum(q.users.values())),
        Figure(questions, "Số câu hỏi chưa trả lời được", sum(q.unanswered.values())),
        Figure(questions, "Tỷ lệ câu trả lời được đánh giá hữu ích", q.helpful_rate, PERCENT),
        Figure(petitions, "Số phản ánh tiếp nhận", p.received),
        Figure(petitions, "Số phản ánh đã giải quyết", p.resolved),
        Figure(petitions, "Giải quyết đúng hạn", p.resolved_in_time),
        Figure(petitions, "Giải quyết trễ hạn", p.resolved_late),
        Figure(petitions, "Tỷ lệ giải quyết đúng hạn", p.in_time_rate, PERCENT),
        Figure(petitions, "Quá hạn chưa giải quyết", p.overdue),
        Figure(petitions, "Đang giải quyết, còn trong hạn", p.open_in_time),
        Figure(petitions, "Chuyển cơ quan có thẩm quyền", p.transferred),
        Figure(petitions, "Trùng lặp", p.duplicates),
        Figure(petitions, "Thời gian giải quyết trung bình (ngày)", p.mean_days_to_resolve,
               DAYS),
        Figure(petitions, "Thời gian giải quyết trung vị (ngày)", p.median_days_to_resolve,
               DAYS),
        Figure(satisfaction, "Số lượt đánh giá", s.ratings),
        Figure(satisfaction, "Số lượt hài lòng (4–5 sao)", s.satisfied),
        Figure(satisfaction, "Tỷ lệ hài lòng", s.rate, PERCENT),
        Figure(satisfaction, "Mục tiêu tỷ lệ hài lòng", s.goal, PERCENT),
        Figure(satisfaction, "Đánh giá so với mục tiêu", verdict(s.meets_goal), TEXT),
    ]
    if not a.recorded:
        figures.append(Figure(news, "Tình trạng số liệu", "Chưa ghi nhận", TEXT))
    figures += [
        Figure(news, "Số tin đã đăng", a.published),
        Figure(news, f"Số tháng đạt từ {a.goal_per_month} tin trở lên",
               a.months_meeting_goal),
        Figure(news, "Số tháng trong kỳ", len(a.monthly)),
        Figure(news, "Số lượt tin đến người dân", a.deliveries),
        Figure(news, "Số người dân nhận được tin", a.reached_users),
        Figure(news, "Số người đăng ký nhận tin (hiện tại)", sum(a.subscribers.values())),
    ]
    return figures


def figures(report: Report) -> list[Figure]:
    """Every figure of the report, headline first, then each breakdown and series."""
    q, p, s, a = report.questions, report.petitions, report.satisfaction, report.announcements
    rows = headline(report)

    def add(section: str, items: Iterable[tuple[str, Any]], kind: str = COUNT) -> None:
        rows.extend(Figure(section, name, value, kind) for name, value in items)

    add("Câu hỏi theo kênh", ((channel_label(c), n) for c, n in q.by_channel.items()))
    add("Câu hỏi theo lĩnh vực", q.by_topic.items())
    add("Câu hỏi chưa trả lời được theo lý do",
        ((REASON_LABELS.get(r, r), n) for r, n in q.unanswered.items()))
    add("Câu hỏi theo tuần", (
        (f"Tuần từ {week:%d/%m/%Y} · {topic}", values[i])
        for i, week in enumerate(q.weekly_by_topic.weeks)
        for topic, values in q.weekly_by_topic.values.items() if values[i]))
    add("Phản ánh theo tình trạng",
        ((STATUS_LABELS.get(st, st), n) for st, n in p.by_status.items()))
    add("Phản ánh theo kênh", ((channel_label(c), n) for c, n in p.by_channel.items()))
    add("Phản ánh theo lĩnh vực", p.by_field.items())
    add("Phản ánh theo cơ quan", p.by_agency.items())
    add("Thời gian giải quyết phản ánh", p.days_to_resolve.items())
    add("Thời gian giải quyết trung vị theo tháng (ngày)",
        ((f"Tháng {month:%m/%Y}", days) for month, days in p.median_days_by_month.items()),
        DAYS)
    for series, label in (("received", "tiếp nhận"), ("resolved", "đã giải quyết"),
                          ("overdue", "quá hạn cuối tuần")):
        add(f"Phản ánh {label} theo tuần", (
            (f"Tuần từ {week:%d/%m/%Y}", p.weekly.values[series][i])
            for i, week in enumerate(p.weekly.weeks)))
    add("Đánh giá theo số sao", ((f"{score} sao", n) for score, n in s.by_score.items()))
    add("Tỷ lệ hài lòng theo đối tượng",
        ((SUBJECT_LABELS.get(k, k), share.rate) for k, share in s.by_subject.items()), PERCENT)
    add("Tỷ lệ hài lòng theo kênh",
        ((channel_label(k), share.rate) for k, share in s.by_channel.items()), PERCENT)
    add("Tỷ lệ hài lòng theo tháng",
        ((f"Tháng {month:%m/%Y}", share.rate) for month, share in s.monthly.items()), PERCENT)
    add("Tin cải cách hành chính theo tháng",
        ((f"Tháng {month:%m/%Y}", n) for month, n in a.monthly.items()))
    return rows


# --- CSV ---------------------------------------------------------------------------------


def to_csv(report: Report) -> str:
    """One figure a line: "Mục", "Chỉ tiêu", "Giá trị"; UTF-8 with a BOM for Excel.

    Rates are written as percentages (91.7 for 91.7%, the figure's name says "(%)") and
    durations in days with one decimal; a figure with no data yet is left empty.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mục", "Chỉ tiêu", "Giá trị"])
    writer.writerow(["Kỳ báo cáo", report.period.label, report.period.key])
    writer.writerow(["Kỳ báo cáo", "Số liệu đến hết ngày", report.as_of.isoformat()])
    for figure in figures(report):
        name, value = figure.name, figure.value
        if figure.kind == PERCENT:
            name = f"{name} (%)"
            value = None if value is None else round(float(value) * 100, 1)
        elif figure.kind == DAYS and value is not None:
            value = round(float(value), 1)
        elif isinstance(value, date):
            value = value.isoformat()
        writer.writerow([figure.section, name, "" if value is None else value])
    return "\ufeff" + out.getvalue()


# --- XLSX --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Typed:
    """A table row whose cells need formats of their own (a rate under a count column)."""

    values: Sequence[Any]
    kinds: Sequence[str]


class _Sheet:
    """Writes blocks of rows top to bottom, remembering how wide each column must be."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 1
        self.widths: dict[int, int] = {}

    def line(self, values: Sequence[Any], kinds: Sequence[str] = (), *,
             bold: bool = False, fill: PatternFill | None = None) -> None:
        for column, value in enumerate(values, start=1):
            kind = kinds[column - 1] if column <= len(kinds) else _kind_of(value)
            cell = self.sheet.cell(row=self.row, column=column, value=value)
            if value is not None and kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[kind]
            if bold:
                cell.font = _BOLD
            if fill is not None:
                cell.fill = fill
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            self.widths[column] = max(self.widths.get(column, 0), _width(value, kind))
        self.row += 1

    def title(self, text: str) -> None:
        self.sheet.cell(row=self.row, column=1, value=text).font = Font(bold=True, size=13)
        self.row += 1

    def table(self, caption: str, headers: Sequence[str],
              rows: Iterable[Sequence[Any] | _Typed], kinds: Sequence[str] = ()) -> None:
        self.sheet.cell(row=self.row, column=1, value=caption).font = _BOLD
        self.row += 1
        self.line(headers, [TEXT] * len(headers), bold=True, fill=_HEADER_FILL)
        empty = True
        for row in rows:
            if isinstance(row, _Typed):
                self.line(row.values, row.kinds)
            else:
                self.line(row, kinds)
            empty = False
        if empty:
            self.line(["Chưa có số liệu"], [TEXT])
        self.row += 1

    def finish(self) -> None:
        for column, width in self.widths.items():
            self.sheet.column_dimensions[get_column_letter(column)].width = min(
                _MAX_WIDTH, max(10, width + 2))


def _kind_of(value: Any) -> str:
    if isinstance(value, date):
        return DAY
    if isinstance(value, int) and not isinstance(value, bool):
        return COUNT
    return TEXT


def _width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind in (DAY, MONTH):
        return 10
    if kind == PERCENT:
        return 7
    return len(str(value))


def to_xlsx(report: Report) -> bytes:
    """The report as an .xlsx workbook (bytes)."""
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"Báo cáo trợ lý ảo hành chính công — {report.period.label}"
    for name, write in (("Tổng hợp", _summary_sheet), ("Phản ánh", _petitions_sheet),
                        ("Câu hỏi", _questions_sheet), ("Hài lòng", _satisfaction_sheet),
                        ("Tin CCHC", _announcements_sheet)):
        sheet = _Sheet(book.create_sheet(name))
        write(sheet, report)
        sheet.finish()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _heading(sheet: _Sheet, report: Report, what: str) -> None:
    sheet.title(f"{what} — {report.period.label}")
    sheet.line(["Số liệu đến hết ngày", report.as_of], [TEXT, DAY])
    sheet.row += 1


def _summary_sheet(sheet: _Sheet, report: Report) -> None:
    _heading(sheet, report, "Báo cáo kết quả trợ lý ảo hành chính công")
    s, a = report.satisfaction, report.announcements
    goals: dict[str, tuple[Any, str, str]] = {
        "Tỷ lệ hài lòng": (s.goal, PERCENT, verdict(s.meets_goal)),
        f"Số tháng đạt từ {a.goal_per_month} tin trở lên": (
            len(a.monthly), COUNT,
            verdict(None if not a.recorded or not a.monthly
                    else a.months_meeting_goal == len(a.monthly))),
    }
    rows = []
    for figure in headline(report):
        if figure.name in ("Mục tiêu tỷ lệ hài lòng", "Đánh giá so với mục tiêu"):
            continue  # shown beside the rate, in the goal columns
        target, target_kind, met = goals.get(figure.name, (None, TEXT, None))
        rows.append(_Typed([figure.section, figure.name, figure.value, target, met],
                           [TEXT, TEXT, figure.kind, target_kind, TEXT]))
    sheet.table("Các chỉ tiêu", ["Mục", "Chỉ tiêu", "Giá trị", "Mục tiêu", "Đánh giá"], rows)


def _petitions_sheet(sheet: _Sheet, report: Report) -> None:
    p = report.petitions
    _heading(sheet, report, "Phản ánh, kiến nghị")
    sheet.table("Theo tình trạng hiện tại (phản ánh tiếp nhận trong kỳ)",
                ["Tình trạng", "Số phản ánh"],
                ([STATUS_LABELS.get(st, st), n] for st, n in p.by_status.items()))
    sheet.table("Theo kênh tiếp nhận", ["Kênh", "Số phản ánh"],
                ([channel_label(c), n] for c, n in p.by_channel.items()))
    sheet.table("Theo lĩnh vực", ["Lĩnh vực", "Số phản ánh"],
                ([name, n] for name, n in p.by_field.items()))
    sheet.table("Theo cơ quan giải quyết", ["Cơ quan", "Số phản ánh"],
                ([name, n] for name, n in p.by_agency.items()))
    sheet.table("Kết quả giải quyết trong kỳ",
                ["Chỉ tiêu", "Giá trị"],
                [["Đã giải quyết", p.resolved], ["Đúng hạn", p.resolved_in_time],
                 ["Trễ hạn", p.resolved_late],
                 _Typed(["Tỷ lệ đúng hạn", p.in_time_rate], [TEXT, PERCENT]),
                 ["Quá hạn chưa giải quyết", p.overdue],
                 ["Đang giải quyết, còn trong hạn", p.open_in_time],
                 _Typed(["Thời gian trung bình (ngày)", p.mean_days_to_resolve], [TEXT, DAYS]),
                 _Typed(["Thời gian trung vị (ngày)", p.median_days_to_resolve], [TEXT, DAYS])],
                [TEXT, COUNT])
    sheet.table("Thời gian giải quyết", ["Khoảng thời gian", "Số phản ánh"],
                ([label, n] for label, n in p.days_to_resolve.items()))
    sheet.table("Thời gian giải quyết trung vị theo tháng", ["Tháng", "Số ngày"],
                ([month, days] for month, days in p.median_days_by_month.items()),
                [MONTH, DAYS])
    sheet.table("Theo tuần", ["Tuần từ ngày", "Tiếp nhận", "Đã giải quyết",
                              "Quá hạn (cuối tuần)"],
                ([week, p.weekly.values["received"][i], p.weekly.values["resolved"][i],
                  p.weekly.values["overdue"][i]] for i, week in enumerate(p.weekly.weeks)),
                [DAY, COUNT, COUNT, COUNT])


def _questions_sheet(sheet: _Sheet, report: Report) -> None:
    q = report.questions
    _heading(sheet, report, "Câu hỏi của người dân")
    total = q.answered
    sheet.table("Câu hỏi đã trả lời theo lĩnh vực", ["Lĩnh vực / chủ đề", "Số câu hỏi", "Tỷ lệ"],
                ([topic, n, n / total] for topic, n in q.by_topic.items()),
                [TEXT, COUNT, PERCENT])
    channels = list(dict.fromkeys([*q.by_channel, *q.incoming_messages]))
    sheet.table("Theo kênh", ["Kênh", "Số câu hỏi đã trả lời", "Số tin nhắn người dân gửi",
                              "Số người dân nhắn tin"],
                ([channel_label(c), q.by_channel.get(c, 0), q.incoming_messages.get(c, 0),
                  q.users.get(c, 0)] for c in channels))
    sheet.table("Câu hỏi chưa trả lời được", ["Lý do", "Số câu hỏi"],
                ([REASON_LABELS.get(r, r), n] for r, n in q.unanswered.items()))
    topics = list(q.weekly_by_topic.values)
    sheet.table("Câu hỏi đã trả lời theo tuần", ["Tuần từ ngày", *topics, "Tổng"],
                ([week, *(q.weekly_by_topic.values[t][i] for t in topics),
                  sum(q.weekly_by_topic.values[t][i] for t in topics)]
                 for i, week in enumerate(q.weekly_by_topic.weeks)),
                [DAY, *([COUNT] * (len(topics) + 1))])


_SHARE_KINDS = [TEXT, COUNT, COUNT, PERCENT]


def _share_row(label: Any, share: Share) -> list[Any]:
    return [label, share.total, share.satisfied, share.rate]


def _satisfaction_sheet(sheet: _Sheet, report: Report) -> None:
    s = report.satisfaction
    _heading(sheet, report, "Mức độ hài lòng")
    headers = ["Số lượt đánh giá", "Hài lòng (4–5 sao)", "Tỷ lệ hài lòng"]
    sheet.table("Tổng hợp", ["", *headers, "Mục tiêu", "Đánh giá"],
                [["Tất cả", s.ratings, s.satisfied, s.rate, s.goal, verdict(s.meets_goal)]],
                [TEXT, COUNT, COUNT, PERCENT, PERCENT, TEXT])
    sheet.table("Theo đối tượng đánh giá", ["Đối tượng", *headers],
                (_share_row(SUBJECT_LABELS.get(k, k), v) for k, v in s.by_subject.items()),
                _SHARE_KINDS)
    sheet.table("Theo kênh", ["Kênh", *headers],
                (_share_row(channel_label(k), v) for k, v in s.by_channel.items()),
                _SHARE_KINDS)
    sheet.table("Theo tháng", ["Tháng", *headers, "Mục tiêu"],
                ([*_share_row(m, v), s.goal] for m, v in s.monthly.items()),
                [MONTH, COUNT, COUNT, PERCENT, PERCENT])
    sheet.table("Theo số sao", ["Số sao", "Số lượt"],
                ([score, n] for score, n in s.by_score.items()))


def _announcements_sheet(sheet: _Sheet, report: Report) -> None:
    a = report.announcements
    _heading(sheet, report, "Tin cải cách hành chính")
    if not a.recorded:
        sheet.line(["Chưa ghi nhận: bot chưa lưu các tin đã đăng."], [TEXT])
        sheet.row += 1
    sheet.table("Theo tháng", ["Tháng", "Số tin đã đăng", "Mục tiêu", "Đánh giá"],
                ([month, n, a.goal_per_month, verdict(n >= a.goal_per_month if a.recorded
                                                      else None)]
                 for month, n in a.monthly.items()),
                [MONTH, COUNT, COUNT, TEXT])
    sheet.table("Lượt tiếp cận", ["Chỉ tiêu", "Giá trị"],
                [["Số lượt tin đến người dân", a.deliveries],
                 ["Số người dân nhận được tin", a.reached_users],
                 *([f"Người đăng ký nhận tin qua {channel_label(c)} (hiện tại)", n]
                   for c, n in a.subscribers.items())])
