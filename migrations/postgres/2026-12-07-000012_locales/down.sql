-- Messages queued as data have no text an older release could send: they
-- are marked failed (with the reason) rather than lost silently.
UPDATE outbox SET subject = COALESCE(subject, kind), body_text = COALESCE(body_text, ''),
    failed_at = COALESCE(failed_at, sent_at, CURRENT_TIMESTAMP),
    last_error = COALESCE(last_error, 'queued by a newer release; reverted before it was sent')
    WHERE kind IS NOT NULL AND sent_at IS NULL;
UPDATE outbox SET subject = COALESCE(subject, kind), body_text = COALESCE(body_text, '') WHERE kind IS NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_content_check;
ALTER TABLE outbox DROP COLUMN time_zone;
ALTER TABLE outbox DROP COLUMN locale;
ALTER TABLE outbox DROP COLUMN params;
ALTER TABLE outbox DROP COLUMN kind;
ALTER TABLE outbox ALTER COLUMN body_text SET NOT NULL;
ALTER TABLE outbox ALTER COLUMN subject SET NOT NULL;
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE users DROP COLUMN locale;
