"""Charts of a report, as PNG bytes (files, e-mail) or SVG text (inline in staff pages).

Example:
    from pathlib import Path
    from bot.report_charts import all_charts
    from bot.reports import Period, build_report

    report = build_report(store.db, Period.parse("2026-Q1"))
    for chart in all_charts(report):
        Path(f"{chart.name}.png").write_bytes(chart.png())
        html_fragment = chart.svg()      # "<svg ...><title>Câu hỏi …</title>…</svg>"

Figures are made with matplotlib.figure.Figure directly, never through pyplot: no global
figure registry and no backend switch, so a web server may draw charts from several threads.
Text is set in DejaVu Sans, which ships with matplotlib and has every Vietnamese letter; SVG
text is drawn as glyph outlines, so a page shows it the same without the font installed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape

from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from bot.reports import Report

FONT = "DejaVu Sans"
TOP_TOPICS = 5
OTHER_TOPICS = "Khác"
_SIZE = (9.0, 4.8)
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")
_GOAL_COLOUR = "#c0392b"


@dataclass(frozen=True)
class Chart:
    """One chart: `name` for its file, `title` for its caption and alt text."""

    name: str
    title: str
    figure: Figure

    def png(self, dpi: int = 100) -> bytes:
        out = io.BytesIO()
        self.figure.savefig(out, format="png", dpi=dpi)
        return out.getvalue()

    def svg(self) -> str:
        """An <svg> element to put in a page as it is, titled for screen readers."""
        out = io.StringIO()
        self.figure.savefig(out, format="svg", metadata={"Date": None})
        text = out.getvalue()
        element = text[text.index("<svg"):]
        opening_end = element.index(">") + 1
        return (f'{element[:opening_end]}\n <title>{escape(self.title)}</title>'
                f'{element[opening_end:]}')


def all_charts(report: Report) -> list[Chart]:
    return [questions_by_week(report), petitions_by_week(report), time_to_resolve(report),
            satisfaction_by_month(report), announcements_by_month(report)]


def questions_by_week(report: Report, top: int = TOP_TOPICS) -> Chart:
    """Answered questions per week, stacked by topic: the `top` topics and "Khác"."""
    title = f"Câu hỏi đã trả lời theo tuần — {report.period.label}"
    series = report.questions.weekly_by_topic
    figure, ax = _figure(title)
    if not series.weeks or report.questions.answered == 0:
        return _empty("cau-hoi-theo-tuan", title, figure, ax, "Chưa có câu hỏi nào được trả lời")
    topics = list(series.values)
    stacks = {topic: series.values[topic] for topic in topics[:top]}
    if len(topics) > top:
        stacks[OTHER_TOPICS] = tuple(map(sum, zip(*(series.values[t] for t in topics[top:]),
                                                  strict=True)))
    bottom = [0] * len(series.weeks)
    for colour, (topic, values) in zip(_COLOURS, stacks.items(), strict=False):
        ax.bar(series.weeks, values, width=5, bottom=bottom, label=_short(topic),
               color=colour, align="edge")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _weeks_axis(ax)
    ax.set_ylabel("Số câu hỏi", fontfamily=FONT)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(ax)
    return Chart("cau-hoi-theo-tuan", title, figure)


def petitions_by_week(report: Report) -> Chart:
    """Petitions received, resolved and overdue (at each week's end) per week."""
    title = f"Phản ánh, kiến nghị theo tuần — {report.period.label}"
    weekly = report.petitions.weekly
    figure, ax = _figure(title)
    if not weekly.weeks or not any(any(values) for values in weekly.values.values()):
        return _empty("phan-anh-theo-tuan", title, figure, ax, "Chưa có phản ánh nào")
    for key, label, colour, style in (
            ("received", "Tiếp nhận", _COLOURS[0], "-"),
            ("resolved", "Đã giải quyết", _COLOURS[2], "-"),
            ("overdue", "Quá hạn (cuối tuần)", _GOAL_COLOUR, "--")):
        ax.plot(weekly.weeks, weekly.values[key], style, marker="o", markersize=3,
                label=label, color=colour)
    _weeks_axis(ax)
    ax.set_ylabel("Số phản ánh", fontfamily=FONT)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(ax)
    return Chart("phan-anh-theo-tuan", title, figure)


def time_to_resolve(report: Report) -> Chart:
    """How long petitions took: their spread, and the median of each month."""
    title = f"Thời gian giải quyết phản ánh — {report.period.label}"
    petitions = report.petitions
    figure = Figure(figsize=_SIZE, layout="constrained")
    figure.suptitle(title, fontfamily=FONT, fontsize=12)
    if petitions.resolved == 0:
        ax = figure.subplots()
        return _empty("thoi-gian-giai-quyet", title, figure, ax,
                      "Chưa có phản ánh nào được giải quyết trong kỳ")
    spread, monthly = figure.subplots(1, 2, width_ratios=(3, 2))
    labels = list(petitions.days_to_resolve)
    spread.bar(range(len(labels)), list(petitions.days_to_resolve.values()),
               color=_COLOURS[0])
    spread.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    spread.set_title("Số phản ánh theo thời gian giải quyết", fontfamily=FONT, fontsize=10)
    spread.yaxis.set_major_locator(MaxNLocator(integer=True))
    months = list(petitions.median_days_by_month)
    monthly.bar(range(len(months)), list(petitions.median_days_by_month.values()),
                color=_COLOURS[1])
    monthly.set_xticks(range(len(months)), [_month(m) for m in months])
    monthly.set_title("Trung vị theo tháng (ngày)", fontfamily=FONT, fontsize=10)
    for ax in (spread, monthly):
        _fonts(ax)
    return Chart("thoi-gian-giai-quyet", title, figure)


def satisfaction_by_month(report: Report) -> Chart:
    """The share of ratings 4–5 each month, against the provincial goal line."""
    title = f"Tỷ lệ hài lòng theo tháng — {report.period.label}"
    satisfaction = report.satisfaction
    figure, ax = _figure(title)
    if satisfaction.ratings == 0:
        return _empty("hai-long-theo-thang", title, figure, ax, "Chưa có lượt đánh giá nào")
    months = list(satisfaction.monthly)
    rates = [share.rate or 0.0 for share in satisfaction.monthly.values()]
    bars = ax.bar(range(len(months)), rates, color=_COLOURS[0], width=0.6)
    for bar, share in zip(bars, satisfaction.monthly.values(), strict=True):
        if share.total:
            ax.annotate(f"{share.rate:.0%}\n({share.total} lượt)",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8, fontfamily=FONT)
    ax.axhline(satisfaction.goal, color=_GOAL_COLOUR, linestyle="--",
               label=f"Mục tiêu {satisfaction.goal:.0%}")
    ax.set_xticks(range(len(months)), [_month(m) for m in months])
    ax.set_ylim(0, 1.15)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("Hài lòng (4–5 sao)", fontfamily=FONT)
    _legend(ax)
    return Chart("hai-long-theo-thang", title, figure)


def announcements_by_month(report: Report) -> Chart:
    """Reform news published each month against the goal, with their reach."""
    title = f"Tin cải cách hành chính — {report.period.label}"
    news = report.announcements
    figure, ax = _figure(title)
    if not news.recorded:
        return _empty("tin-cai-cach-hanh-chinh", title, figure, ax,
                      "Chưa ghi nhận: bot chưa lưu các tin đã đăng")
    if news.published == 0:
        return _empty("tin-cai-cach-hanh-chinh", title, figure, ax,
                      "Chưa có tin nào được đăng trong kỳ")
    months = list(news.monthly)
    ax.bar(range(len(months)), list(news.monthly.values()), color=_COLOURS[2], width=0.6,
           label="Số tin đã đăng")
    ax.axhline(news.goal_per_month, color=_GOAL_COLOUR, linestyle="--",
               label=f"Mục tiêu {news.goal_per_month} tin/tháng")
    ax.set_xticks(range(len(months)), [_month(m) for m in months])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Số tin", fontfamily=FONT)
    ax.text(0.01, 0.97, f"Lượt tin đến người dân: {_thousands(news.deliveries)}\n"
                        f"Người dân nhận được tin: {_thousands(news.reached_users)}",
            transform=ax.transAxes, va="top", fontsize=9, fontfamily=FONT)
    _legend(ax)
    return Chart("tin-cai-cach-hanh-chinh", title, figure)


# --- helpers ----------------------------------------------------------------------------


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=_SIZE, layout="constrained")
    ax = figure.subplots()
    ax.set_title(title, fontfamily=FONT, fontsize=12)
    _fonts(ax)
    return figure, ax


def _fonts(ax: Axes) -> None:
    ax.tick_params(labelfontfamily=FONT, labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _empty(name: str, title: str, figure: Figure, ax: Axes, message: str) -> Chart:
    ax.set_axis_off()
    ax.set_title(title, fontfamily=FONT, fontsize=12)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#555555",
            fontfamily=FONT, transform=ax.transAxes)
    return Chart(name, title, figure)


def _weeks_axis(ax: Axes) -> None:
    ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
    ax.set_xlabel("Tuần (từ thứ Hai)", fontfamily=FONT)


def _legend(ax: Axes) -> None:
    ax.legend(prop={"family": FONT, "size": 8}, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              frameon=False)


def _month(first_day: date) -> str:
    return f"{first_day:%m/%Y}"


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _thousands(number: int) -> str:
    """12.345, the way Vietnamese writes thousands."""
    return f"{number:,}".replace(",", ".")


# Each chart by its file name, with its caption: a page lists them without drawing them, and
# draws only the one asked for.
CHARTS: dict[str, tuple[str, Callable[[Report], Chart]]] = {
    "cau-hoi-theo-tuan": ("Câu hỏi đã trả lời theo tuần", questions_by_week),
    "phan-anh-theo-tuan": ("Phản ánh, kiến nghị theo tuần", petitions_by_week),
    "thoi-gian-giai-quyet": ("Thời gian giải quyết phản ánh", time_to_resolve),
    "hai-long-theo-thang": ("Tỷ lệ hài lòng theo tháng", satisfaction_by_month),
    "tin-cai-cach-hanh-chinh": ("Tin cải cách hành chính", announcements_by_month),
}
