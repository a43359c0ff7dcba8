-- Messages queued as data have no text an older release could send: they
-- are marked failed (with the reason) rather than lost silently.
CREATE TABLE outbox_old (
    id               TEXT PRIMARY KEY,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    claimed_by       TEXT,
    claimed_until    TIMESTAMP,
    sent_at          TIMESTAMP,
    failed_at        TIMESTAMP,
    last_error       TEXT
);
INSERT INTO outbox_old (id, recipient, subject, body_text, created_at, attempts, next_attempt_at,
                        claimed_by, claimed_until, sent_at, failed_at, last_error)
    SELECT id, recipient, COALESCE(subject, kind), COALESCE(body_text, ''), created_at, attempts,
           next_attempt_at, claimed_by, claimed_until, sent_at,
           CASE WHEN kind IS NOT NULL AND sent_at IS NULL THEN COALESCE(failed_at, CURRENT_TIMESTAMP) ELSE failed_at END,
           CASE WHEN kind IS NOT NULL AND sent_at IS NULL
                THEN COALESCE(last_error, 'queued by a newer release; reverted before it was sent')
                ELSE last_error END
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE users DROP COLUMN locale;
