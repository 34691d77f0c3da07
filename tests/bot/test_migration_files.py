"""The schema as numbered SQL files (bot/storage/migrations/), read by the migration runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.schema import MIGRATIONS, MIGRATIONS_DIR, load_migrations, sql_statements


def test_the_files_are_numbered_one_by_one_and_say_what_they_add() -> None:
    names = sorted(path.name for path in MIGRATIONS_DIR.glob("*.sql"))
    assert [m.version for m in MIGRATIONS] == list(range(1, len(names) + 1))
    assert all(name.startswith(f"{n:04d}_") for n, name in enumerate(names, start=1))
    assert MIGRATIONS[0].description.startswith("users, sessions, messages, petitions")


def test_statements_end_where_sql_ends_not_at_a_semicolon_in_a_comment_or_string() -> None:
    script = ("-- Migration 9: a test\n"
              "-- a comment; with a semicolon\n"
              "CREATE TABLE t (a TEXT DEFAULT 'x;y');\n"
              "\n"
              "CREATE INDEX i ON t (a);\n")
    assert sql_statements(script) == [
        "-- Migration 9: a test\n-- a comment; with a semicolon\n"
        "CREATE TABLE t (a TEXT DEFAULT 'x;y');",
        "CREATE INDEX i ON t (a);"]


def test_an_unfinished_statement_is_refused() -> None:
    with pytest.raises(ValueError, match="unfinished"):
        sql_statements("CREATE TABLE t (a TEXT)\n")


@pytest.mark.parametrize(("name", "first_line", "problem"), [
    ("1_short.sql", "-- Migration 1: x", "named NNNN_"),
    ("0001_first.sql", "-- no description", "first line"),
    ("0001_first.sql", "-- Migration 2: the wrong number", "first line"),
])
def test_a_badly_named_or_described_file_is_refused(tmp_path: Path, name: str, first_line: str,
                                                     problem: str) -> None:
    (tmp_path / name).write_text(f"{first_line}\nCREATE TABLE t (a TEXT);\n", encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        load_migrations(tmp_path)
