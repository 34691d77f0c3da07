-- Migration 4: announcements and their deliveries
-- Never edited once released: a change to the schema is a new file with the next number.

-- Administrative-reform news to subscribers. `topics` is what it is about (news topic
-- ids, JSON); the audience is the reachable subscribers of any of those topics on
-- `channels` (JSON). Status: draft -> awaiting_approval (when a second officer must
-- approve) -> scheduled -> sending -> sent; or cancelled.
CREATE TABLE announcements (
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
);

CREATE INDEX idx_announcements_status_send_at ON announcements (status, send_at);

-- One row per subscriber and announcement, made when sending starts (the audience
-- then is the audience). A row is marked 'sending' (committed) before its message
-- goes out and 'sent' after: a crash leaves at most the messages then in flight as
-- 'sending', which are sent again on restart. 'held': a rule holds it back for now
-- (Zalo at night, the OA's quota); 'blocked': the citizen blocked or unfollowed.
CREATE TABLE announcement_deliveries (
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
);

CREATE INDEX idx_announcement_deliveries_status ON announcement_deliveries (announcement_id, channel, status);
