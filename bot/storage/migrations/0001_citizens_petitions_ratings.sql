-- Migration 1: users, sessions, messages, petitions, ratings, answers, unanswered
-- Never edited once released: a change to the schema is a new file with the next number.

CREATE TABLE users (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'vi',
    topics TEXT NOT NULL DEFAULT '[]',
    consent_at TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    unreachable INTEGER NOT NULL DEFAULT 0 CHECK (unreachable IN (0, 1)),
    PRIMARY KEY (channel, user_id)
);

CREATE TABLE sessions (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    flow TEXT,
    step TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, user_id)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text TEXT NOT NULL,
    intent TEXT,
    procedure_code TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_messages_created_at ON messages (created_at);

CREATE INDEX idx_messages_user ON messages (channel, user_id);

-- AUTOINCREMENT: the code is made from the id, so an id must never be handed out twice.
CREATE TABLE petitions (
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
);

CREATE INDEX idx_petitions_user ON petitions (channel, user_id);

CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT,
    subject TEXT NOT NULL CHECK (subject IN ('visit', 'procedure', 'bot')),
    procedure_code TEXT,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_ratings_user ON ratings (channel, user_id);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT,
    question TEXT NOT NULL,
    intent TEXT NOT NULL,
    procedure_code TEXT,
    aspect TEXT,
    helpful INTEGER CHECK (helpful IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE INDEX idx_answers_user ON answers (channel, user_id);

CREATE TABLE unanswered (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT,
    question TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('no_match', 'out_of_scope', 'unhelpful')),
    created_at TEXT NOT NULL
);

CREATE INDEX idx_unanswered_user ON unanswered (channel, user_id);
