"""Storage: the database and the modules that own its tables, one per group.

    database.py       the connection (SQLite, WAL), transactions, shared helpers
    schema.py         the migration runner; migrations/NNNN_*.sql, the schema in order
    citizens.py       users, sessions, conversation topics; forgetting a citizen
    messages.py       the conversation log
    petitions.py      petitions as citizens send and read them (the one Petition type)
    ratings.py        ratings, answers with "was this helpful?", unanswered questions
    channel_state.py  webhook events, Zalo tokens and choices, refused deliveries
    store.py          Store: all of the above on one connection

    from bot.storage import Store, Petition
    store = Store("var/bot.db")

This is also the seam a PostgreSQL store would plug into: the SQL is kept portable where it
costs nothing, and database.py says what is SQLite-only.
"""

from bot.storage.channel_state import FailedDelivery, ZaloTokens
from bot.storage.citizens import ConversationTopic, Session, User
from bot.storage.petitions import Petition
from bot.storage.store import Store

__all__ = ["ConversationTopic", "FailedDelivery", "Petition", "Session", "Store", "User",
           "ZaloTokens"]
