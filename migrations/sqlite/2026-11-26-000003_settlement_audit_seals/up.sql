-- Settlement, holdings, the audit log and the ledger's hash chain.

-- One row per settled offering: what the escrow paid out.
CREATE TABLE settlements (
    offering_id  TEXT PRIMARY KEY REFERENCES offerings (id),
    entry_id     TEXT NOT NULL REFERENCES journal_entries (id),
    gross        BIGINT NOT NULL CHECK (gross > 0),
    fee          BIGINT NOT NULL CHECK (fee >= 0),
    net          BIGINT NOT NULL CHECK (net >= 0),
    fee_bps      INTEGER NOT NULL,
    settled_by   TEXT NOT NULL,
    settled_at   TIMESTAMP NOT NULL,
    CHECK (fee + net = gross)
);

-- Shares an investor holds after settlement, one row per investor and offering.
CREATE TABLE holdings (
    id               TEXT PRIMARY KEY,
    investor_id      TEXT NOT NULL REFERENCES users (id),
    offering_id      TEXT NOT NULL REFERENCES offerings (id),
    shares           BIGINT NOT NULL CHECK (shares > 0),
    price_per_share  BIGINT NOT NULL,
    amount           BIGINT NOT NULL,
    acquired_at      TIMESTAMP NOT NULL,
    UNIQUE (investor_id, offering_id)
);
CREATE INDEX holdings_offering_idx ON holdings (offering_id, shares);

-- Who did what, when, under which request. Append-only.
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    at            TIMESTAMP NOT NULL,
    actor_id      TEXT,
    actor_role    TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    request_id    TEXT,
    details       TEXT NOT NULL
);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);

-- The hash chain over committed journal entries: seal n covers a batch of
-- entries and the hash of seal n-1, so editing or deleting a sealed entry (or
-- a seal) breaks every later hash.
CREATE TABLE ledger_seals (
    seq          BIGINT PRIMARY KEY,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    entry_count  INTEGER NOT NULL,
    sealed_at    TIMESTAMP NOT NULL
);
CREATE TABLE entry_seals (
    entry_id    TEXT PRIMARY KEY REFERENCES journal_entries (id),
    seal_seq    BIGINT NOT NULL REFERENCES ledger_seals (seq),
    -- SHA-256 of the entry's canonical content, so the first changed entry can be named.
    entry_hash  TEXT NOT NULL
);
CREATE INDEX entry_seals_seq_idx ON entry_seals (seal_seq);
CREATE INDEX subscriptions_offering_id_idx ON subscriptions (offering_id, id);

-- Append-only, enforced by the database as well as by the code.
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
    BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
    BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
    BEGIN SELECT RAISE(ABORT, 'postings is append-only'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
    BEGIN SELECT RAISE(ABORT, 'postings is append-only'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER ledger_seals_no_update BEFORE UPDATE ON ledger_seals
    BEGIN SELECT RAISE(ABORT, 'ledger_seals is append-only'); END;
CREATE TRIGGER ledger_seals_no_delete BEFORE DELETE ON ledger_seals
    BEGIN SELECT RAISE(ABORT, 'ledger_seals is append-only'); END;
CREATE TRIGGER entry_seals_no_update BEFORE UPDATE ON entry_seals
    BEGIN SELECT RAISE(ABORT, 'entry_seals is append-only'); END;
CREATE TRIGGER entry_seals_no_delete BEFORE DELETE ON entry_seals
    BEGIN SELECT RAISE(ABORT, 'entry_seals is append-only'); END;
