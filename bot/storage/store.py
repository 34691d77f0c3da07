"""The database the conversation keeps its state and records in: one object over the table
modules of bot/storage/, each owning its tables and their SQL.

Example:
    with Store("var/bot.db") as store:
        store.touch_user("telegram", "12345")
        petition = store.create_petition("telegram", "12345", content="Đường hỏng",
                                         due_date=date(2026, 3, 20))
        print(petition.code)   # PA-2026-000001, on disk before this line runs
"""

from __future__ import annotations

from bot.storage.announcements import AnnouncementTables
from bot.storage.channel_state import ChannelStateTables
from bot.storage.citizens import CitizenTables
from bot.storage.database import Tables, serialised
from bot.storage.messages import MessageTables
from bot.storage.outbox import OutboxTables
from bot.storage.petition_workflow import PetitionWorkflowTables
from bot.storage.petitions import PetitionTables
from bot.storage.ratings import RatingTables
from bot.storage.staff import StaffTables

# The tables counted by `counts` (the citizen-facing ones).
TABLES = ("users", "sessions", "conversation_topics", "messages", "petitions", "ratings",
          "answers", "unanswered")


class Store(CitizenTables, MessageTables, PetitionTables, PetitionWorkflowTables, RatingTables,
            ChannelStateTables, StaffTables, OutboxTables, AnnouncementTables, Tables):
    """Opens (and migrates) the SQLite file at `path`, ":memory:" for a throw-away one."""

    def __enter__(self) -> Store:
        return self

    @serialised
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {
            table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in TABLES
        }
