-- Migration 2: webhook events, Zalo tokens and numbered choices, failed deliveries
-- Never edited once released: a change to the schema is a new file with the next number.

-- Webhook deliveries already taken, per channel: platforms deliver at least once, and
-- a second worker or a restarted process must not answer the same event again.
CREATE TABLE webhook_events (
    channel TEXT NOT NULL,
    event_key TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, event_key)
);

CREATE INDEX idx_webhook_events_received_at ON webhook_events (received_at);

-- The Zalo OA token pair in use. A refresh token works once, so the pair Zalo returns is
-- written here before it is used. `seed` fingerprints the pair the environment gave, so
-- that an operator who puts a new pair in the environment is not overruled by this row.
CREATE TABLE zalo_tokens (
    app_id TEXT PRIMARY KEY,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    seed TEXT,
    updated_at TEXT NOT NULL
);

-- The numbered choices last offered to each Zalo user, standing in for buttons.
CREATE TABLE zalo_choices (
    user_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, number)
);

-- Replies a platform refused to deliver, for staff to see and follow up.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    error_code INTEGER,
    error_message TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_deliveries_user ON deliveries (channel, user_id);

CREATE INDEX idx_deliveries_created_at ON deliveries (created_at);
