"""The versioned schema of the bot's SQLite database: the migrations are the numbered SQL
files in bot/storage/migrations/, applied in order, each once, by `migrate`.

Example:
    from sqlite_utils import Database
    from bot.storage.schema import migrate
    migrate(Database("var/bot.db"))   # applies what is missing, in order; then a no-op

A migration is never edited once released: a change to the schema is a new file with the
next number, `NNNN_what_it_adds.sql`, whose first line says what it adds
("-- Migration N: ..."). The files are plain SQL; SQLite-only parts (a table rebuilt because
a CHECK cannot change) say so in their comments.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_RE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
_DESCRIPTION_RE = re.compile(r"-- Migration (\d+): (.+)")


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer version of the bot than the one running."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Database], None]


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """Run the block in one transaction, committed when it ends and rolled back on error.

    BEGIN IMMEDIATE takes the write lock at the start, so two workers writing at once wait
    for each other (up to busy_timeout) instead of failing half-way when a read lock cannot be
    upgraded. The sqlite3 connection is driven directly: sqlite-utils' own helpers differ
    between its 3.x and 4.x releases, and some of them commit as a side effect.
    """
    if db.conn.in_transaction:
        raise RuntimeError("write_transaction() cannot be nested in an open transaction")
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def sql_statements(script: str) -> list[str]:
    """The statements of a migration file, in order (comments kept with the statement they
    precede; sqlite3.complete_statement tells where one ends, so a ";" inside a comment or a
    string does not)."""
    statements, current = [], []
    for line in script.splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text and sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    rest = "\n".join(line for line in current if not line.strip().startswith("--")).strip()
    if rest:
        raise ValueError(f"a migration ends with an unfinished statement: {rest[:80]!r}")
    return statements


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `folder`, by their number."""
    migrations = []
    for path in sorted(folder.glob("*.sql")):
        name = _FILE_RE.fullmatch(path.name)
        if name is None:
            raise ValueError(f"{path.name}: a migration is named NNNN_what_it_adds.sql")
        script = path.read_text(encoding="utf-8")
        described = _DESCRIPTION_RE.match(script)
        if described is None or int(described.group(1)) != int(name.group(1)):
            raise ValueError(f"{path.name}: the first line must be "
                             f"'-- Migration {int(name.group(1))}: what it adds'")
        statements = sql_statements(script)
        migrations.append(Migration(int(name.group(1)), described.group(2).strip(),
                                    _executing(statements)))
    return migrations


def _executing(statements: list[str]) -> Callable[[Database], None]:
    def apply(db: Database) -> None:
        for statement in statements:
            db.execute(statement)
    return apply


MIGRATIONS: list[Migration] = load_migrations()


def schema_version(conn: sqlite3.Connection) -> int:
    """The last migration applied to the database behind `conn` (sqlite3.Error if it has
    no migrations table: not a database of this bot)."""
    (version,) = conn.execute("SELECT max(version) FROM migrations").fetchone()
    return version or 0


def applied_versions(db: Database) -> list[int]:
    if not db["migrations"].exists():
        return []
    return [row[0] for row in db.execute("SELECT version FROM migrations ORDER BY version")]


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations `db` lacks, in order, each in its own transaction.

    Returns the versions applied (empty when the database was up to date). Raises
    SchemaTooNewError if the database knows a version this code does not.
    """
    _check_ordered(migrations)
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations ("
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    known = {m.version for m in migrations}
    unknown = sorted(set(applied_versions(db)) - known)
    if unknown:
        raise SchemaTooNewError(
            f"the database has schema version {unknown[-1]} but this code knows versions up "
            f"to {max(known, default=0)}: run a newer version of the bot, or restore a backup"
        )
    applied = []
    for migration in migrations:
        with write_transaction(db):
            # Checked again under the write lock: another worker may have just applied it.
            done = db.execute(
                "SELECT 1 FROM migrations WHERE version = ?", [migration.version]
            ).fetchone()
            if done:
                continue
            migration.apply(db)
            db.execute(
                "INSERT INTO migrations (version, description, applied_at) VALUES (?, ?, ?)",
                [migration.version, migration.description,
                 datetime.now(UTC).isoformat(timespec="seconds")],
            )
        applied.append(migration.version)
    return applied


def _check_ordered(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3... in order, not {versions}")
