"""The quarterly report's queries (bot/reports.py does the counting and the definitions).

Each function takes a sqlite3 connection (a Store's, or a read-only one, so that a report
can be read while the bot writes) and a period as a UTC string range [start, end), and
returns the grouped rows. Grouping is in Vietnamese days, weeks and months.

SQLite-only: date() with modifiers for the local calendar, julianday(), json_array_length.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.vocabulary import VIETNAM

# SQLite date modifiers that turn a stored UTC time into the Vietnamese calendar.
_OFFSET_HOURS = int(VIETNAM.utcoffset(None).total_seconds() // 3600)
_LOCAL = f"'{_OFFSET_HOURS:+d} hours'"
_LOCAL_DAY = f"date({{column}}, {_LOCAL})"
_LOCAL_WEEK = f"date({{column}}, {_LOCAL}, '-6 days', 'weekday 1')"  # its Monday
_LOCAL_MONTH = f"date({{column}}, {_LOCAL}, 'start of month')"
# When a petition was resolved: its answer, else its closing; NULL while it is not resolved.
_RESOLVED_AT = ("(CASE WHEN status IN ('answered', 'closed') "
                "THEN COALESCE(answered_at, closed_at, updated_at) END)")
_IN_PERIOD = "created_at >= ? AND created_at < ?"
# Transferred and duplicate petitions are nobody's backlog.
_COUNTED = "status NOT IN ('transferred', 'duplicate')"


def _local_day(column: str) -> str:
    return _LOCAL_DAY.format(column=column)


def _local_week(column: str) -> str:
    return _LOCAL_WEEK.format(column=column)


def _local_month(column: str) -> str:
    return _LOCAL_MONTH.format(column=column)


# --- questions ---------------------------------------------------------------------------

def answers_by_week(conn: sqlite3.Connection, start: str, end: str) -> list[tuple]:
    """(week's Monday, intent, procedure code, channel, helpful mark, answers)."""
    # One pass over the answers (the table has no index on created_at to range over).
    return conn.execute(
        f"SELECT {_local_week('created_at')} AS week, intent, procedure_code, channel, "
        f"helpful, count(*) FROM answers WHERE {_IN_PERIOD} "
        "GROUP BY week, intent, procedure_code, channel, helpful", [start, end]).fetchall()


def unanswered_by_reason(conn: sqlite3.Connection, start: str, end: str) -> dict[str, int]:
    return dict(conn.execute(f"SELECT reason, count(*) FROM unanswered WHERE {_IN_PERIOD} "
                             "GROUP BY reason", [start, end]).fetchall())


def incoming_by_channel(conn: sqlite3.Connection, start: str, end: str) -> list[tuple]:
    """(channel, citizens' messages, distinct citizens)."""
    return conn.execute(
        f"SELECT channel, count(*), count(DISTINCT user_id) FROM messages "
        f"WHERE {_IN_PERIOD} AND direction = 'in' GROUP BY channel", [start, end]).fetchall()


# --- petitions ---------------------------------------------------------------------------

def petitions_received(conn: sqlite3.Connection, start: str, end: str) -> list[tuple]:
    """(status, channel, field, procedure code, agency (assigned, else the citizen's), n)."""
    return conn.execute(
        "SELECT status, channel, field, procedure_code, COALESCE(assigned_agency, agency), "
        f"count(*) FROM petitions WHERE {_IN_PERIOD} "
        "GROUP BY status, channel, field, procedure_code, COALESCE(assigned_agency, agency)",
        [start, end]).fetchall()


def petitions_received_by_week(conn: sqlite3.Connection, start: str,
                               end: str) -> list[tuple[str, int]]:
    return conn.execute(
        f"SELECT {_local_week('created_at')} AS week, count(*) FROM petitions "
        f"WHERE {_IN_PERIOD} GROUP BY week", [start, end]).fetchall()


# Petitions resolved, with when; created_at < end bounds the scan by the index: nothing is
# resolved before it exists.
_RESOLVED_IN_RANGE = (f"SELECT {_RESOLVED_AT} AS resolved_at, created_at, due_date "
                      "FROM petitions WHERE created_at < ? AND status IN ('answered', 'closed')")


def resolved_by_week(conn: sqlite3.Connection, start: str, end: str) -> list[tuple]:
    """(week's Monday, resolved by the due date (0/1), n) of petitions resolved in range."""
    return conn.execute(
        f"SELECT {_local_week('resolved_at')} AS week, "
        f"{_local_day('resolved_at')} <= due_date AS on_time, count(*) "
        f"FROM ({_RESOLVED_IN_RANGE}) WHERE resolved_at >= ? AND resolved_at < ? "
        "GROUP BY week, on_time", [end, start, end]).fetchall()


def resolution_days(conn: sqlite3.Connection, start: str, end: str) -> list[tuple[str, float]]:
    """(month, days from receipt to resolution) of each petition resolved in range."""
    return conn.execute(
        f"SELECT {_local_month('resolved_at')} AS month, "
        "julianday(resolved_at) - julianday(created_at) AS days "
        f"FROM ({_RESOLVED_IN_RANGE}) WHERE resolved_at >= ? AND resolved_at < ? "
        "ORDER BY month", [end, start, end]).fetchall()


def open_at(conn: sqlite3.Connection, end: str, today: str) -> list[tuple[int, int]]:
    """(past its due date on `today` (0/1), n) of the petitions open at `end`."""
    return conn.execute(
        f"SELECT due_date < ? AS late, count(*) FROM petitions WHERE created_at < ? AND "
        f"{_COUNTED} AND ({_RESOLVED_AT} IS NULL OR {_RESOLVED_AT} >= ?) GROUP BY late",
        [today, end, end]).fetchall()


def late_spans(conn: sqlite3.Connection, start: str, end: str,
               today: str) -> list[tuple]:
    """(day received, due date, day resolved or None, n) of the petitions that were late at
    some point from `start` to `end`."""
    return conn.execute(
        f"SELECT {_local_day('created_at')}, due_date, {_local_day(_RESOLVED_AT)} AS done, "
        f"count(*) FROM petitions WHERE created_at < ? AND due_date < ? AND {_COUNTED} "
        f"AND ({_RESOLVED_AT} IS NULL OR ({_RESOLVED_AT} >= ? "
        f"AND {_local_day(_RESOLVED_AT)} > due_date)) "
        "GROUP BY 1, 2, 3", [end, today, start]).fetchall()


# --- ratings -----------------------------------------------------------------------------

def ratings_by_month(conn: sqlite3.Connection, start: str, end: str) -> list[tuple]:
    """(month, subject, channel, score, n)."""
    return conn.execute(
        f"SELECT {_local_month('created_at')} AS month, subject, channel, score, count(*) "
        f"FROM ratings WHERE {_IN_PERIOD} GROUP BY month, subject, channel, score",
        [start, end]).fetchall()


# --- announcements -----------------------------------------------------------------------

def subscribers_by_channel(conn: sqlite3.Connection) -> dict[str, int]:
    """Reachable citizens subscribed to any news topic, now."""
    return dict(conn.execute("SELECT channel, count(*) FROM users WHERE unreachable = 0 "
                             "AND json_array_length(topics) > 0 GROUP BY channel").fetchall())


def announcements_started_by_month(conn: sqlite3.Connection, start: str,
                                   end: str) -> list[tuple[str, int]]:
    return conn.execute(
        f"SELECT {_local_month('started_at')} AS month, count(*) FROM announcements "
        "WHERE started_at >= ? AND started_at < ? GROUP BY month", [start, end]).fetchall()


def announcement_reach(conn: sqlite3.Connection, start: str, end: str) -> tuple[int, int]:
    """(copies sent, distinct citizens reached) of the announcements started in range."""
    deliveries, reached = conn.execute(
        "SELECT count(*), count(DISTINCT d.channel || ':' || d.user_id) "
        "FROM announcement_deliveries AS d JOIN announcements AS a ON a.id = d.announcement_id "
        "WHERE a.started_at >= ? AND a.started_at < ? AND d.status = 'sent'",
        [start, end]).fetchone()
    return deliveries, reached


def tables_exist(conn: sqlite3.Connection, *names: str) -> bool:
    marks = ", ".join("?" for _ in names)
    (found,) = conn.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
        list(names)).fetchone()
    return found == len(names)


def connection_of(db: Any) -> sqlite3.Connection:
    """The sqlite3 connection of a Store, a sqlite_utils Database or a connection."""
    if isinstance(db, sqlite3.Connection):
        return db
    if isinstance(getattr(db, "conn", None), sqlite3.Connection):  # sqlite_utils.Database
        return db.conn
    if getattr(db, "db", None) is not None:  # a Store
        return connection_of(db.db)
    raise TypeError(f"expected a sqlite_utils Database, a sqlite3 connection or a Store, "
                    f"not {type(db).__name__}")
