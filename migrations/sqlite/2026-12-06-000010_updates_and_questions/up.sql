-- Sponsor updates: posted on an offering, published now or at `publish_at`
-- (a sweeper publishes those that fall due). `published_at` is set once, by
-- the one UPDATE that matches an unpublished update, in the transaction that
-- queues its emails: one per update and person, whatever roles they hold.
CREATE TABLE offering_updates (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_format TEXT NOT NULL CHECK (body_format IN ('text', 'markdown')),
    audience TEXT NOT NULL CHECK (audience IN ('public', 'investors')),
    publish_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX offering_updates_offering_idx ON offering_updates (offering_id, publish_at, id);
CREATE INDEX offering_updates_due_idx ON offering_updates (publish_at) WHERE published_at IS NULL;

-- Questions and answers on an offering: a question has no `question_id`, a
-- reply names its question. Every poster says whether they are paid to
-- promote the offering or work for its sponsor. Operators hide and restore
-- posts (with a reason, audited) but never change what was written.
CREATE TABLE offering_posts (
    id TEXT PRIMARY KEY,
    offering_id TEXT NOT NULL REFERENCES offerings (id),
    question_id TEXT REFERENCES offering_posts (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    -- Written by the offering's own sponsor.
    from_sponsor BOOLEAN NOT NULL,
    paid_promoter BOOLEAN NOT NULL,
    sponsor_affiliated BOOLEAN NOT NULL,
    hidden_at TIMESTAMP,
    hidden_by TEXT REFERENCES users (id),
    hidden_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL))
);
CREATE INDEX offering_posts_questions_idx ON offering_posts (offering_id, id) WHERE question_id IS NULL;
CREATE INDEX offering_posts_replies_idx ON offering_posts (question_id, id);
