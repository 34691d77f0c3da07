"""The SQLite connection every table module works through, and the helpers they share.

One connection per Store, in WAL mode. Every method that writes commits before it returns,
so whatever the bot acknowledges to a citizen survives the process being killed, and a
second worker on the same file sees it at once. Times are stored as ISO-8601 UTC strings; a
naive `now` passed by a test is taken to be UTC.

SQLite-only here: WAL, the PRAGMAs, BEGIN IMMEDIATE (bot/storage/schema.py). The table
modules keep to SQL that PostgreSQL also runs, except where they say so (json_each, rowid).
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.storage.schema import migrate, write_transaction


def serialised(method):
    """Runs a Store method under the store's lock: one call on the connection at a time."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class Tables:
    """The connection, opened and migrated; the base of every table module's methods."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every write is either one
        # autocommitted statement or inside write_transaction(), never left open.
        # The web server may call from its thread pool: the connection is shared between
        # threads, one call at a time (see serialised).
        conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None,
                               check_same_thread=False)
        self._lock = threading.RLock()
        self.db = Database(conn)
        try:
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db)
        except BaseException:
            conn.close()
            raise
        self.path = path
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self.db.close()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """The connection for writes that must land together: one transaction, committed when
        the block ends (rolled back on error), under the store's lock."""
        with self._lock, write_transaction(self.db):
            yield self.db

    @contextmanager
    def reading(self) -> Iterator[Database]:
        """The connection, under the store's lock, for reads that go together."""
        with self._lock:
            yield self.db

    @serialised
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a read-only query, as dicts."""
        return list(self.db.query(sql, list(params)))

    @serialised
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One autocommitted statement; the number of rows it changed."""
        return self.db.execute(sql, list(params)).rowcount

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def _insert(self, table: str, **values: Any) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def open_read_only(path: Path | str) -> sqlite3.Connection:
    """A connection that cannot write to the bot's database (sqlite3.Error if it is none),
    for the reports read while the bot keeps writing."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def iso(now: datetime | None) -> str:
    return utc(now).isoformat(timespec="seconds")


def time_or_none(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def stored(value: Any) -> Any:
    """A value as a column keeps it: a time as ISO UTC, a list or a mapping as JSON."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (list, tuple)):
        return as_json(list(value))
    if isinstance(value, dict):
        return as_json(value)
    return value


def require_score(score: object) -> None:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"score must be a whole number from 1 to 5, not {score!r}")


def require(value: str, allowed: Iterable[str], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
