"""What citizens said of the service: `ratings` (1 to 5), `answers` (each procedure answer
with its "was this helpful?"), and `unanswered` (the questions staff review)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.storage.database import Tables, iso, require, require_score, serialised
from bot.storage.schema import write_transaction
from bot.vocabulary import RATING_SUBJECTS

UNANSWERED_REASONS = ("no_match", "out_of_scope", "unhelpful")


class RatingTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    @serialised
    def add_rating(
        self,
        channel: str,
        user_id: str | None,
        subject: str,
        score: int,
        comment: str | None = None,
        procedure_code: str | None = None,
        now: datetime | None = None,
    ) -> int:
        require(subject, RATING_SUBJECTS, "subject")
        require_score(score)
        return self._insert(
            "ratings",
            channel=channel, user_id=user_id, subject=subject, procedure_code=procedure_code,
            score=score, comment=comment, created_at=iso(now),
        )

    def rate_petition(self, channel: str, user_id: str, petition_id: int, score: int,
                      now: datetime | None = None) -> bool:
        """Stores the citizen's rating of how their petition was handled, unless it already
        has one (the buttons may be pressed twice); True when stored."""
        require_score(score)
        with self.writing() as db:
            taken = db.execute("SELECT 1 FROM ratings WHERE subject = 'petition' AND "
                               "petition_id = ?", [petition_id]).fetchone()
            if taken:
                return False
            self._insert("ratings", channel=channel, user_id=user_id, subject="petition",
                         petition_id=petition_id, score=score, created_at=iso(now))
        return True

    @serialised
    def record_answer(
        self,
        channel: str,
        user_id: str | None,
        question: str,
        intent: str,
        procedure_code: str | None,
        aspect: str | None,
        now: datetime | None = None,
    ) -> int:
        return self._insert(
            "answers",
            channel=channel, user_id=user_id, question=question, intent=intent,
            procedure_code=procedure_code, aspect=aspect, created_at=iso(now),
        )

    @serialised
    def mark_answer(
        self,
        answer_id: int,
        channel: str,
        user_id: str,
        helpful: bool,
        now: datetime | None = None,
    ) -> bool:
        """Store the citizen's "was this helpful?" beside the answer they got.

        Only that citizen may mark it (False otherwise, e.g. a forged button payload). The first
        "unhelpful" mark also lists the question among the unanswered ones for staff.
        """
        with write_transaction(self.db):
            row = self.db.execute(
                "SELECT question, helpful FROM answers WHERE id = ? AND channel = ? "
                "AND user_id = ?",
                [answer_id, channel, user_id],
            ).fetchone()
            if row is None:
                return False
            question, previous = row
            self.db.execute(
                "UPDATE answers SET helpful = ? WHERE id = ?", [int(helpful), answer_id])
            if not helpful and previous != 0:
                self.db.execute(
                    "INSERT INTO unanswered (channel, user_id, question, reason, created_at) "
                    "VALUES (?, ?, ?, 'unhelpful', ?)",
                    [channel, user_id, question, iso(now)],
                )
        return True

    @serialised
    def record_unanswered(
        self,
        channel: str,
        user_id: str | None,
        question: str,
        reason: str,
        now: datetime | None = None,
    ) -> int:
        require(reason, UNANSWERED_REASONS, "reason")
        return self._insert(
            "unanswered",
            channel=channel, user_id=user_id, question=question, reason=reason,
            created_at=iso(now),
        )


# A question an "unhelpful" mark copied into `unanswered` is counted once, from `answers`.
_ASKED_SQL = """
SELECT question, reason, channel, created_at, NULL AS procedure_code FROM unanswered u
WHERE {period} (reason != 'unhelpful' OR NOT EXISTS (
    SELECT 1 FROM answers a WHERE a.helpful = 0 AND a.channel = u.channel
    AND a.user_id IS u.user_id AND a.question = u.question))
UNION ALL
SELECT question, 'unhelpful', channel, created_at, procedure_code FROM answers
WHERE {period} helpful = 0
"""


def asked_questions(db: Any, since: str | None = None,
                    until: str | None = None) -> list[tuple]:
    """(question, reason, channel, created_at, procedure_code) of every question the bot could
    not answer or whose answer was marked unhelpful, from `since` (included) to `until`
    (excluded), ISO UTC instants. `db` is a Store's connection or a read-only sqlite3 one."""
    conditions, params = [], []
    if since is not None:
        conditions.append("created_at >= ?")
        params.append(since)
    if until is not None:
        conditions.append("created_at < ?")
        params.append(until)
    where = "".join(f"{condition} AND " for condition in conditions)
    return db.execute(_ASKED_SQL.format(period=where), params + params).fetchall()
