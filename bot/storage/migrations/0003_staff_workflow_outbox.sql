-- Migration 3: staff accounts, login attempts, audit log, petition workflow, outbox, app secrets
-- Never edited once released: a change to the schema is a new file with the next number.

-- Officers of the agency. The password is kept only as a slow salted hash
-- (bot/staff/passwords.py); `session_epoch` is part of every session cookie, so that
-- bumping it (password changed, account disabled) ends all of that account's sessions.
CREATE TABLE staff_accounts (
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
);

-- Every login attempt, to slow guessing from one address across many usernames too.
CREATE TABLE staff_login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    address TEXT,
    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE INDEX idx_staff_login_attempts_address ON staff_login_attempts (address, created_at);

-- What staff did, for admins to read. `details` is JSON.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    staff TEXT,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    address TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_audit_log_created_at ON audit_log (created_at);

-- The petition workflow: who has it, which field (lĩnh vực) it concerns, the original
-- of a duplicate, when it was closed, and whether the answer reached the citizen.
ALTER TABLE petitions ADD COLUMN assigned_to TEXT;

ALTER TABLE petitions ADD COLUMN assigned_agency TEXT;

ALTER TABLE petitions ADD COLUMN field TEXT;

ALTER TABLE petitions ADD COLUMN duplicate_of INTEGER REFERENCES petitions (id);

ALTER TABLE petitions ADD COLUMN closed_at TEXT;

ALTER TABLE petitions ADD COLUMN answer_delivery TEXT;

-- When the staff Telegram group was told of the petition; those already there when
-- this column arrives count as told, so that an upgrade does not flood the group.
ALTER TABLE petitions ADD COLUMN staff_notified_at TEXT;

UPDATE petitions SET staff_notified_at = created_at;

CREATE INDEX idx_petitions_unnotified ON petitions (id) WHERE staff_notified_at IS NULL;

CREATE INDEX idx_petitions_status_due ON petitions (status, due_date);

CREATE INDEX idx_petitions_created_at ON petitions (created_at);

CREATE INDEX idx_petitions_assigned_to ON petitions (assigned_to);

-- A petition's history: created, status changes, assignment, internal notes, answers
-- and whether they were delivered. `details` is JSON.
CREATE TABLE petition_events (
    id INTEGER PRIMARY KEY,
    petition_id INTEGER NOT NULL REFERENCES petitions (id),
    kind TEXT NOT NULL,
    staff TEXT,
    from_status TEXT,
    to_status TEXT,
    text TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);

CREATE INDEX idx_petition_events_petition ON petition_events (petition_id, id);

-- Messages to citizens that the bot starts (an answer to a petition, a status change,
-- an announcement), sent through the citizen's own channel. The web chat has no push:
-- its page fetches what is pending. `replies` is a JSON list of Reply dicts.
CREATE TABLE outbox (
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
);

CREATE INDEX idx_outbox_user_status ON outbox (channel, user_id, status);

-- A rating may be of how a petition was handled (asked when it closes): a new subject
-- and the petition it is about. SQLite cannot change a CHECK, so the table is rebuilt.
CREATE TABLE ratings_new (
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
);

INSERT INTO ratings_new (id, channel, user_id, subject, procedure_code, score, comment, created_at) SELECT id, channel, user_id, subject, procedure_code, score, comment, created_at FROM ratings;

DROP TABLE ratings;

ALTER TABLE ratings_new RENAME TO ratings;

CREATE INDEX idx_ratings_user ON ratings (channel, user_id);

CREATE INDEX idx_ratings_created_at ON ratings (created_at);

CREATE INDEX idx_answers_created_at ON answers (created_at);

CREATE INDEX idx_unanswered_created_at ON unanswered (created_at);

-- Small facts the running bot keeps between restarts (e.g. the day of the last digest).
CREATE TABLE app_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Secrets the bot makes for itself, shared by its workers and kept across restarts
-- (the key that signs staff session cookies, unless STAFF_SECRET_KEY gives one).
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_outbox_reason ON outbox (reason);
