-- Migration 5: the procedure each conversation is about
-- Never edited once released: a change to the schema is a new file with the next number.

-- The procedure a citizen was last answered about, and the part of it, so that a
-- follow-up ("còn lệ phí?", "thế còn người nước ngoài?") is read against it. Apart from
-- `sessions`, which a form clears when it ends: a citizen may ask about a procedure in
-- the middle of a petition and follow up on it afterwards.
CREATE TABLE conversation_topics (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    aspect TEXT NOT NULL,
    -- The other procedures offered with it when the bot asked which one (JSON codes):
    -- a follow-up that ignores the choice is answered for the first, these offered.
    alternatives TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, user_id)
);
