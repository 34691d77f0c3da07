"""Finding petitions by words the way officers type them: any case, with or without
diacritics ("den duong" and "ĐÈN ĐƯỜNG" both find "Đèn đường"), in SQL.

    search = store.petition_search
    sql, params = search.clause("đèn đường")    # for a WHERE over the petitions table
    sql, params = search.agency_clause("an binh")

SQLite's LIKE ignores the case of ASCII letters only. Folding every row in a Python function
at query time costs over half a second on 100,000 petitions, so the folded content and names
are kept in a TEMP table of the store's connection, filled once per process and then only
with the petitions added since (a petition's content never changes; a name is only ever
removed, when the citizen deletes their data, and the clause requires it still be there).
Agencies, short and changed by staff, are folded at query time behind a plain LIKE that
rules out most rows first.
"""

from __future__ import annotations

import re

from bot.storage.database import Tables
from bot.vocabulary import fold as vocabulary_fold

FOLD_FUNCTION = "petition_fold"
TABLE = "temp.petition_words"
MAX_SEARCH_CHARS = 100
TICKET_RE = re.compile(r"PA-\d{4}-\d{6}", re.IGNORECASE)
# Letters that have marked forms in Vietnamese: where a folded search has one of these, the
# text may have any of its forms.
_MARKED_BASES = frozenset("aeiouyd")


def fold(text: str | None) -> str | None:
    """Folded as the bot compares words (bot.vocabulary.fold): "Đèn ĐƯỜNG" -> "den duong"."""
    return None if text is None else vocabulary_fold(text)


def escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') for `text` anywhere."""
    return f"%{escaped(text)}%"


def skeleton(folded: str) -> str:
    """A LIKE pattern that every text whose fold contains `folded` matches: the letters that
    may carry marks become "_" (one character), the others stay (LIKE ignores ASCII case)."""
    return "%" + "".join("_" if ch in _MARKED_BASES else escaped(ch) for ch in folded) + "%"


class PetitionSearch:
    def __init__(self, store: Tables) -> None:
        self.store = store
        self._through = 0
        store.db.conn.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)
        store.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} "
                      "(id INTEGER PRIMARY KEY, content TEXT NOT NULL, name TEXT)")

    def refresh(self) -> int:
        """Folds the petitions added since the last call; returns how many."""
        top = self.store.rows("SELECT max(id) AS top FROM petitions")[0]["top"] or 0
        if top <= self._through:
            return 0
        rows = self.store.rows("SELECT id, content, name FROM petitions WHERE id > ? AND "
                               "id <= ?", [self._through, top])
        with self.store.writing() as db:
            db.conn.executemany(
                f"INSERT OR REPLACE INTO {TABLE} (id, content, name) VALUES (?, ?, ?)",
                [(row["id"], fold(row["content"]), fold(row["name"])) for row in rows])
        self._through = top
        return len(rows)

    def clause(self, text: str) -> tuple[str, list[str]]:
        """A WHERE condition on `petitions` for `text` in the code, the content, the name,
        the phone number or the e-mail: the ids that match, gathered from the folded words
        and from the columns `text` could be part of."""
        text = text.strip()[:MAX_SEARCH_CHARS]
        if TICKET_RE.fullmatch(text):
            return "code = ?", [text.upper()]
        self.refresh()
        words = contains(fold(text) or "")
        sources = [f"SELECT id FROM {TABLE} WHERE content LIKE ? ESCAPE '\\'",
                   # A name the citizen has since deleted is not searchable any more.
                   f"SELECT t.id FROM {TABLE} AS t JOIN petitions AS p ON p.id = t.id "
                   "WHERE t.name LIKE ? ESCAPE '\\' AND p.name IS NOT NULL"]
        params = [words, words]
        columns = []
        digits = re.sub(r"[\s.\-()+]", "", text)
        if any(ch.isdigit() for ch in text):
            columns.append(("code", contains(text)))
        if digits.isdigit():
            columns.append(("phone", contains(digits)))
        if text.isascii() and not any(ch.isspace() for ch in text):
            columns.append(("email", contains(text)))
        if columns:
            sources.append("SELECT id FROM petitions WHERE " + " OR ".join(
                f"{column} LIKE ? ESCAPE '\\'" for column, _ in columns))
            params += [pattern for _, pattern in columns]
        return f"id IN ({' UNION '.join(sources)})", params

    def agency_clause(self, text: str) -> tuple[str, list[str]]:
        """A WHERE condition for `text` in the citizen's agency or the assigned one."""
        folded = fold(text.strip()[:MAX_SEARCH_CHARS]) or ""
        parts = [f"(agency LIKE ? ESCAPE '\\' AND {FOLD_FUNCTION}(agency) LIKE ? ESCAPE '\\')",
                 f"(assigned_agency LIKE ? ESCAPE '\\' AND {FOLD_FUNCTION}(assigned_agency) "
                 "LIKE ? ESCAPE '\\')"]
        # The plain LIKE first: SQLite evaluates the terms in order, and it is the cheap one.
        return f"({' OR '.join(parts)})", [skeleton(folded), contains(folded)] * 2
