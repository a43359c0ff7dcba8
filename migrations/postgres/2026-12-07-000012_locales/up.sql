-- Each person's language and time zone (NULL: the deployment's defaults,
-- DEFAULT_LOCALE and DEFAULT_TIME_ZONE), and an outbox that keeps what a
-- message says as data (kind + JSON params) for the relay to write in the
-- reader's language when it sends it. Messages queued by older releases
-- keep their subject and plain text.
ALTER TABLE users ADD COLUMN locale TEXT CHECK (locale IN ('en', 'zh-CN'));
ALTER TABLE users ADD COLUMN time_zone TEXT;

ALTER TABLE outbox ALTER COLUMN subject DROP NOT NULL;
ALTER TABLE outbox ALTER COLUMN body_text DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN kind TEXT;
ALTER TABLE outbox ADD COLUMN params TEXT;
ALTER TABLE outbox ADD COLUMN locale TEXT;
ALTER TABLE outbox ADD COLUMN time_zone TEXT;
ALTER TABLE outbox ADD CONSTRAINT outbox_content_check
    CHECK ((kind IS NOT NULL AND params IS NOT NULL) OR (subject IS NOT NULL AND body_text IS NOT NULL));
