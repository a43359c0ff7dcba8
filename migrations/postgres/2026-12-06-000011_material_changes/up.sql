-- Material changes: an amendment (a document version published after the
-- offering was approved) that its sponsor or an operator declares material.
-- Every subscription active when it is declared, and made before the
-- amendment, then awaits its investor's reconfirmation until `deadline`
-- (business days later, by the deployment's holiday calendar); one not
-- reconfirmed by then is cancelled and its money returned, by whichever
-- server's sweeper reaches it first, once. `reminded_at` is set by the one
-- UPDATE that sends the reminders.
CREATE TABLE material_changes (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    document_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    reason TEXT NOT NULL,
    declared_by TEXT NOT NULL REFERENCES users (id),
    declared_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    remind_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version),
    UNIQUE (document_id, version),
    CHECK (deadline > declared_at)
);
CREATE INDEX material_changes_offering_idx ON material_changes (offering_id, id);
CREATE INDEX material_changes_reminder_idx ON material_changes (remind_at) WHERE reminded_at IS NULL;

-- A subscription's reconfirmation: null (never asked), 'awaiting' (until
-- `reconfirm_by`), 'reconfirmed', 'declined' (the investor cancelled) or
-- 'lapsed' (cancelled at the deadline).
-- `material_change_id` is the latest change it was asked about.
ALTER TABLE subscriptions ADD COLUMN reconfirmation TEXT
    CHECK (reconfirmation IN ('awaiting', 'reconfirmed', 'declined', 'lapsed'));
ALTER TABLE subscriptions ADD COLUMN material_change_id TEXT REFERENCES material_changes (id);
ALTER TABLE subscriptions ADD COLUMN reconfirm_by TIMESTAMP;
CREATE INDEX subscriptions_awaiting_idx ON subscriptions (reconfirm_by) WHERE reconfirmation = 'awaiting';
