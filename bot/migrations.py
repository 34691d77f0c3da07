"""Versioned schema of the bot's SQLite database.

Example:
    from sqlite_utils import Database
    from bot.migrations import migrate
    migrate(Database("var/bot.db"))   # applies what is missing, in order; then a no-op

A migration is never edited once released: a change to the schema is a new migration appended
to MIGRATIONS with the next version number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database


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


def _create_tables(db: Database) -> None:
    statements = [
        """CREATE TABLE users (
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'vi',
            topics TEXT NOT NULL DEFAULT '[]',
            consent_at TEXT,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            unreachable INTEGER NOT NULL DEFAULT 0 CHECK (unreachable IN (0, 1)),
            PRIMARY KEY (channel, user_id)
        )""",
        """CREATE TABLE sessions (
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            flow TEXT,
            step TEXT,
            data TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (channel, user_id)
        )""",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            text TEXT NOT NULL,
            intent TEXT,
            procedure_code TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_messages_created_at ON messages (created_at)",
        "CREATE INDEX idx_messages_user ON messages (channel, user_id)",
        # AUTOINCREMENT: the code is made from the id, so an id must never be handed out twice.
        """CREATE TABLE petitions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            code TEXT UNIQUE,
            channel TEXT NOT NULL,
            user_id TEXT,
            name TEXT,
            phone TEXT,
            email TEXT,
            content TEXT NOT NULL,
            agency TEXT,
            place TEXT,
            procedure_code TEXT,
            attachments TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'new',
            due_date TEXT NOT NULL,
            answer TEXT,
            answered_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            anonymised INTEGER NOT NULL DEFAULT 0 CHECK (anonymised IN (0, 1))
        )""",
        "CREATE INDEX idx_petitions_user ON petitions (channel, user_id)",
        """CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT,
            subject TEXT NOT NULL CHECK (subject IN ('visit', 'procedure', 'bot')),
            procedure_code TEXT,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_ratings_user ON ratings (channel, user_id)",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT,
            question TEXT NOT NULL,
            intent TEXT NOT NULL,
            procedure_code TEXT,
            aspect TEXT,
            helpful INTEGER CHECK (helpful IN (0, 1)),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_answers_user ON answers (channel, user_id)",
        """CREATE TABLE unanswered (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT,
            question TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('no_match', 'out_of_scope', 'unhelpful')),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_unanswered_user ON unanswered (channel, user_id)",
    ]
    for statement in statements:
        db.execute(statement)


def _create_channel_tables(db: Database) -> None:
    statements = [
        # Webhook deliveries already taken, per channel: platforms deliver at least once, and
        # a second worker or a restarted process must not answer the same event again.
        """CREATE TABLE webhook_events (
            channel TEXT NOT NULL,
            event_key TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (channel, event_key)
        )""",
        "CREATE INDEX idx_webhook_events_received_at ON webhook_events (received_at)",
        # The Zalo OA token pair in use. A refresh token works once, so the pair Zalo returns is
        # written here before it is used. `seed` fingerprints the pair the environment gave, so
        # that an operator who puts a new pair in the environment is not overruled by this row.
        """CREATE TABLE zalo_tokens (
            app_id TEXT PRIMARY KEY,
            access_token TEXT NOT NULL,
            refresh_token TEXT,
            seed TEXT,
            updated_at TEXT NOT NULL
        )""",
        # The numbered choices last offered to each Zalo user, standing in for buttons.
        """CREATE TABLE zalo_choices (
            user_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, number)
        )""",
        # Replies a platform refused to deliver, for staff to see and follow up.
        """CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            text TEXT NOT NULL,
            error_code INTEGER,
            error_message TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_deliveries_user ON deliveries (channel, user_id)",
        "CREATE INDEX idx_deliveries_created_at ON deliveries (created_at)",
    ]
    for statement in statements:
        db.execute(statement)


def _create_staff_tables(db: Database) -> None:
    statements = [
        # Officers of the agency. The password is kept only as a slow salted hash
        # (bot/staff/passwords.py); `session_epoch` is part of every session cookie, so that
        # bumping it (password changed, account disabled) ends all of that account's sessions.
        """CREATE TABLE staff_accounts (
            username TEXT PRIMARY KEY,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'viewer')),
            agency TEXT,
            password_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            session_epoch INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # Every login attempt, to slow guessing from one address across many usernames too.
        """CREATE TABLE staff_login_attempts (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL,
            address TEXT,
            succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_staff_login_attempts_address ON staff_login_attempts "
        "(address, created_at)",
        # What staff did, for admins to read. `details` is JSON.
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            staff TEXT,
            action TEXT NOT NULL,
            target TEXT,
            details TEXT NOT NULL DEFAULT '{}',
            address TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_audit_log_created_at ON audit_log (created_at)",
        # The petition workflow: who has it, which field (lĩnh vực) it concerns, the original
        # of a duplicate, when it was closed, and whether the answer reached the citizen.
        "ALTER TABLE petitions ADD COLUMN assigned_to TEXT",
        "ALTER TABLE petitions ADD COLUMN assigned_agency TEXT",
        "ALTER TABLE petitions ADD COLUMN field TEXT",
        "ALTER TABLE petitions ADD COLUMN duplicate_of INTEGER REFERENCES petitions (id)",
        "ALTER TABLE petitions ADD COLUMN closed_at TEXT",
        "ALTER TABLE petitions ADD COLUMN answer_delivery TEXT",
        # When the staff Telegram group was told of the petition; those already there when
        # this column arrives count as told, so that an upgrade does not flood the group.
        "ALTER TABLE petitions ADD COLUMN staff_notified_at TEXT",
        "UPDATE petitions SET staff_notified_at = created_at",
        "CREATE INDEX idx_petitions_unnotified ON petitions (id) WHERE staff_notified_at IS NULL",
        "CREATE INDEX idx_petitions_status_due ON petitions (status, due_date)",
        "CREATE INDEX idx_petitions_created_at ON petitions (created_at)",
        "CREATE INDEX idx_petitions_assigned_to ON petitions (assigned_to)",
        # A petition's history: created, status changes, assignment, internal notes, answers
        # and whether they were delivered. `details` is JSON.
        """CREATE TABLE petition_events (
            id INTEGER PRIMARY KEY,
            petition_id INTEGER NOT NULL REFERENCES petitions (id),
            kind TEXT NOT NULL,
            staff TEXT,
            from_status TEXT,
            to_status TEXT,
            text TEXT,
            details TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_petition_events_petition ON petition_events (petition_id, id)",
        # Messages to citizens that the bot starts (an answer to a petition, a status change,
        # an announcement), sent through the citizen's own channel. The web chat has no push:
        # its page fetches what is pending. `replies` is a JSON list of Reply dicts.
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            replies TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'failed')),
            error TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT
        )""",
        "CREATE INDEX idx_outbox_user_status ON outbox (channel, user_id, status)",
        # A rating may be of how a petition was handled (asked when it closes): a new subject
        # and the petition it is about. SQLite cannot change a CHECK, so the table is rebuilt.
        """CREATE TABLE ratings_new (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_id TEXT,
            subject TEXT NOT NULL
                CHECK (subject IN ('visit', 'procedure', 'bot', 'petition')),
            procedure_code TEXT,
            petition_id INTEGER REFERENCES petitions (id),
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT,
            created_at TEXT NOT NULL
        )""",
        "INSERT INTO ratings_new (id, channel, user_id, subject, procedure_code, score, "
        "comment, created_at) SELECT id, channel, user_id, subject, procedure_code, score, "
        "comment, created_at FROM ratings",
        "DROP TABLE ratings",
        "ALTER TABLE ratings_new RENAME TO ratings",
        "CREATE INDEX idx_ratings_user ON ratings (channel, user_id)",
        "CREATE INDEX idx_ratings_created_at ON ratings (created_at)",
        "CREATE INDEX idx_answers_created_at ON answers (created_at)",
        "CREATE INDEX idx_unanswered_created_at ON unanswered (created_at)",
        # Small facts the running bot keeps between restarts (e.g. the day of the last digest).
        """CREATE TABLE app_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # Secrets the bot makes for itself, shared by its workers and kept across restarts
        # (the key that signs staff session cookies, unless STAFF_SECRET_KEY gives one).
        """CREATE TABLE app_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_outbox_reason ON outbox (reason)",
    ]
    for statement in statements:
        db.execute(statement)


def _create_broadcast_tables(db: Database) -> None:
    statements = [
        # Administrative-reform news to subscribers. `topics` is what it is about (news topic
        # ids, JSON); the audience is the reachable subscribers of any of those topics on
        # `channels` (JSON). Status: draft -> awaiting_approval (when a second officer must
        # approve) -> scheduled -> sending -> sent; or cancelled.
        """CREATE TABLE announcements (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            link TEXT,
            image_url TEXT,
            topics TEXT NOT NULL DEFAULT '[]',
            channels TEXT NOT NULL DEFAULT '["telegram", "zalo"]',
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft',
                'awaiting_approval', 'scheduled', 'sending', 'sent', 'cancelled')),
            send_at TEXT,
            created_by TEXT NOT NULL,
            approved_by TEXT,
            approved_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT
        )""",
        "CREATE INDEX idx_announcements_status_send_at ON announcements (status, send_at)",
        # One row per subscriber and announcement, made when sending starts (the audience
        # then is the audience). A row is marked 'sending' (committed) before its message
        # goes out and 'sent' after: a crash leaves at most the messages then in flight as
        # 'sending', which are sent again on restart. 'held': a rule holds it back for now
        # (Zalo at night, the OA's quota); 'blocked': the citizen blocked or unfollowed.
        """CREATE TABLE announcement_deliveries (
            announcement_id INTEGER NOT NULL REFERENCES announcements (id),
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending',
                'sent', 'failed', 'blocked', 'held')),
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before TEXT,
            updated_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (announcement_id, channel, user_id)
        )""",
        "CREATE INDEX idx_announcement_deliveries_status ON announcement_deliveries "
        "(announcement_id, channel, status)",
    ]
    for statement in statements:
        db.execute(statement)


def _create_conversation_topics(db: Database) -> None:
    # The procedure a citizen was last answered about, and the part of it, so that a
    # follow-up ("còn lệ phí?", "thế còn người nước ngoài?") is read against it. Apart from
    # `sessions`, which a form clears when it ends: a citizen may ask about a procedure in
    # the middle of a petition and follow up on it afterwards.
    db.execute(
        """CREATE TABLE conversation_topics (
            channel TEXT NOT NULL,
            user_id TEXT NOT NULL,
            procedure_code TEXT NOT NULL,
            aspect TEXT NOT NULL,
            -- The other procedures offered with it when the bot asked which one (JSON codes):
            -- a follow-up that ignores the choice is answered for the first, these offered.
            alternatives TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (channel, user_id)
        )"""
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "users, sessions, messages, petitions, ratings, answers, unanswered",
              _create_tables),
    Migration(2, "webhook events, Zalo tokens and numbered choices, failed deliveries",
              _create_channel_tables),
    Migration(3, "staff accounts, login attempts, audit log, petition workflow, outbox, "
              "app secrets",
              _create_staff_tables),
    Migration(4, "announcements and their deliveries", _create_broadcast_tables),
    Migration(5, "the procedure each conversation is about", _create_conversation_topics),
]


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
