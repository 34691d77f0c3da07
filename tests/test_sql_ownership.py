"""SQL lives in the storage package (bot/storage/), which owns the tables.

A module outside it that writes SQL fails this test.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|"
                  r"DELETE\s+FROM|CREATE\s+(TEMP\s+)?(TABLE|INDEX))\b", re.S)
# None is left; a module that needs a query adds it to the storage module of its tables.
NOT_YET_MOVED: set[str] = set()


def _has_sql(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _SQL.search(node.value):
            return True
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values
                           if isinstance(part, ast.Constant) and isinstance(part.value, str))
            if _SQL.search(text):
                return True
    return False


@functools.cache
def _modules_with_sql() -> frozenset[str]:
    return frozenset(path.relative_to(ROOT).as_posix()
                     for package in ("bot", "handlers", "knowledge")
                     for path in (ROOT / package).rglob("*.py") if _has_sql(path))


def test_sql_is_found_where_it_is() -> None:
    found = _modules_with_sql()
    assert {"bot/storage/petitions.py", "bot/storage/staff.py", "bot/storage/outbox.py",
            "bot/storage/announcements.py"} <= found


def test_no_sql_outside_the_storage_package_but_the_listed_modules() -> None:
    outside = {module for module in _modules_with_sql() if not module.startswith("bot/storage/")}
    assert outside == NOT_YET_MOVED
