-- Each person's language and time zone (NULL: the deployment's defaults,
-- DEFAULT_LOCALE and DEFAULT_TIME_ZONE), and an outbox that keeps what a
-- message says as data (kind + JSON params) for the relay to write in the
-- reader's language when it sends it. Messages queued by older releases
-- keep their subject and plain text. SQLite cannot drop NOT NULL, so the
-- outbox is rebuilt (nothing refers to it).
ALTER TABLE users ADD COLUMN locale TEXT CHECK (locale IN ('en', 'zh-CN'));
ALTER TABLE users ADD COLUMN time_zone TEXT;

CREATE TABLE outbox_new (
    id               TEXT PRIMARY KEY,
    recipient        TEXT NOT NULL,
    subject          TEXT,
    body_text        TEXT,
    created_at       TIMESTAMP NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    claimed_by       TEXT,
    claimed_until    TIMESTAMP,
    sent_at          TIMESTAMP,
    failed_at        TIMESTAMP,
    last_error       TEXT,
    kind             TEXT,
    params           TEXT,
    locale           TEXT,
    time_zone        TEXT,
    CHECK ((kind IS NOT NULL AND params IS NOT NULL) OR (subject IS NOT NULL AND body_text IS NOT NULL))
);
INSERT INTO outbox_new (id, recipient, subject, body_text, created_at, attempts, next_attempt_at,
                        claimed_by, claimed_until, sent_at, failed_at, last_error)
    SELECT id, recipient, subject, body_text, created_at, attempts, next_attempt_at,
           claimed_by, claimed_until, sent_at, failed_at, last_error
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
