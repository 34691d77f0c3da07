"""`python -m bot report`: the quarterly figures, printed or written as XLSX, CSV and charts.

Examples:
    python -m bot report --period 2026-Q1
    python -m bot report --period 2026-H1 --xlsx bao-cao-6-thang.xlsx --csv bao-cao.csv
    python -m bot report --period 2026-03-01..2026-04-15 --charts var/charts
    python -m bot report --period 2026 --db var/bot.db --today 2026-12-31

The database is opened read-only: a report never changes it, never creates it, and does not
take the write lock a running bot needs.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # imported when the command runs, so that other commands start fast
    from bot.reports import Period, Report

REQUIRED_SCHEMA = 3  # petitions' workflow columns (field, closed_at...) came in migration 3


class _PeriodType(click.ParamType):
    name = "PERIOD"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Period:
        from bot.reports import Period

        if isinstance(value, Period):
            return value
        try:
            return Period.parse(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


@click.command()
@click.option("--period", type=_PeriodType(), default=None,
              help="2026-Q1 … 2026-Q4, 2026-H1 (6 tháng), 2026-9M (9 tháng), 2026 (năm) or "
                   "2026-03-01..2026-04-15. Default: the current quarter.")
@click.option("--db", envvar="BOT_DB", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("var/bot.db"), show_default=True, show_envvar=True,
              help="The SQLite database.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report as an Excel workbook.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every figure as CSV (UTF-8 with BOM, for Excel).")
@click.option("--charts", "charts_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write the charts as PNG files into this folder.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count as of this day (default: today in Vietnam).")
def report(period: Period | None, db: Path, xlsx_path: Path | None, csv_path: Path | None,
           charts_dir: Path | None, today: datetime | None) -> None:
    """Print the period's figures for the administrative-reform plan; optionally write files.

    Example: python -m bot report --period 2026-Q1 --xlsx bao-cao-quy-1.xlsx
    """
    from bot.report_export import format_value, headline
    from bot.reports import Period, imported_fields, snapshot_report
    from bot.vocabulary import VIETNAM

    day = today.date() if today else datetime.now(VIETNAM).date()
    period = period or Period.quarter_of(day)
    conn = _open_read_only(db)
    try:
        fields = imported_fields(lambda warning: click.echo(warning, err=True))
        result = snapshot_report(conn, period, fields=fields, today=day)
    except sqlite3.Error as error:
        raise click.ClickException(f"{db}: cannot read the figures ({error})") from error
    finally:
        conn.close()

    click.echo(f"Báo cáo {period.label} — số liệu đến hết ngày {result.as_of:%d/%m/%Y}")
    section = None
    for figure in headline(result):
        if figure.section != section:
            section = figure.section
            click.echo(f"\n{section}")
        click.echo(f"  {figure.name}: {format_value(figure)}")
    _write_files(result, xlsx_path, csv_path, charts_dir)


def _write_files(result: Report, xlsx_path: Path | None, csv_path: Path | None,
                 charts_dir: Path | None) -> None:
    written: list[Path] = []
    if xlsx_path is not None:
        from bot.report_export import to_xlsx

        xlsx_path.write_bytes(to_xlsx(result))
        written.append(xlsx_path)
    if csv_path is not None:
        from bot.report_export import to_csv

        # newline="": the csv module already ends rows with CRLF, as Excel expects.
        csv_path.write_text(to_csv(result), encoding="utf-8", newline="")
        written.append(csv_path)
    if charts_dir is not None:
        from bot.report_charts import all_charts

        charts_dir.mkdir(parents=True, exist_ok=True)
        for chart in all_charts(result):
            path = charts_dir / f"{chart.name}.png"
            path.write_bytes(chart.png())
            written.append(path)
    if written:
        click.echo("\nĐã ghi: " + ", ".join(str(path) for path in written))


def _open_read_only(path: Path) -> sqlite3.Connection:
    from bot.storage.database import open_read_only
    from bot.storage.schema import schema_version

    if not path.is_file():
        raise click.ClickException(f"{path}: no database there (give --db or BOT_DB)")
    try:
        conn = open_read_only(path)
        version = schema_version(conn)
    except sqlite3.Error as error:
        raise click.ClickException(f"{path}: not a database of this bot ({error})") from error
    if version < REQUIRED_SCHEMA:
        conn.close()
        raise click.ClickException(
            f"{path}: schema version {version}, the report needs {REQUIRED_SCHEMA}: start the "
            "bot once on it (python -m bot serve --db ...) to bring it up to date")
    return conn

