-- Every bank movement is booked, whatever it matches. See the PostgreSQL
-- migration of the same name for the reasons. SQLite rebuilds
-- ledger_accounts, whose CHECK constraints change (the documented
-- twelve-step procedure), in one transaction of its own: the table
-- `unreconciled_movements` exists exactly when all of it committed.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE ledger_accounts_new (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN
                  ('investor_cash', 'sponsor_payout', 'offering_escrow', 'platform_fee',
                   'payouts_pending', 'external_bank', 'unallocated_deposits',
                   'unreconciled_bank_movements', 'investor_receivable', 'bank_write_offs')),
    owner_id    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    balance     BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    CHECK (CASE
        WHEN kind = 'external_bank' THEN 1
        WHEN kind IN ('unreconciled_bank_movements', 'investor_receivable', 'bank_write_offs') THEN balance <= 0
        ELSE balance >= 0 END),
    UNIQUE (kind, owner_id)
);
INSERT INTO ledger_accounts_new (id, kind, owner_id, currency, balance, created_at)
SELECT id, kind, owner_id, currency, balance, created_at FROM ledger_accounts;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_new RENAME TO ledger_accounts;
CREATE TRIGGER ledger_accounts_identity BEFORE UPDATE OF id, kind, owner_id, currency, created_at
    ON ledger_accounts
    WHEN NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.owner_id <> OLD.owner_id
      OR NEW.currency <> OLD.currency OR NEW.created_at <> OLD.created_at
    BEGIN SELECT RAISE(ABORT, 'the identity of a ledger account cannot change'); END;
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    BEGIN SELECT RAISE(ABORT, 'ledger_accounts is append-only'); END;

CREATE TABLE unreconciled_movements (
    id                   TEXT PRIMARY KEY,
    bank_txn_id          TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL CHECK (kind IN ('withdrawal', 'deposit_returned')),
    reference            TEXT NOT NULL,
    original_bank_txn_id TEXT,
    amount               BIGINT NOT NULL CHECK (amount > 0),
    reason               TEXT NOT NULL CHECK (reason IN
                           ('unmatched', 'amount_mismatch', 'already_settled', 'reference_mismatch')),
    withdrawal_id        TEXT REFERENCES withdrawals (id),
    deposit_id           TEXT REFERENCES deposits (id),
    status               TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'written_off')),
    entry_id             TEXT NOT NULL REFERENCES journal_entries (id),
    assigned_kind        TEXT CHECK (assigned_kind IN ('withdrawal', 'deposit', 'unallocated_deposit')),
    assigned_id          TEXT,
    resolved_entry_id    TEXT REFERENCES journal_entries (id),
    resolved_by          TEXT,
    resolved_at          TIMESTAMP,
    note                 TEXT,
    received_at          TIMESTAMP NOT NULL,
    CHECK ((status = 'open') = (resolved_entry_id IS NULL)),
    CHECK ((status = 'assigned') = (assigned_id IS NOT NULL)),
    CHECK ((assigned_kind IS NULL) = (assigned_id IS NULL)),
    CHECK (status <> 'written_off' OR note IS NOT NULL)
);
CREATE INDEX unreconciled_movements_status_idx ON unreconciled_movements (status, received_at);

CREATE TRIGGER deposits_status_forward BEFORE UPDATE OF status ON deposits
    WHEN OLD.status <> 'pending' AND NEW.status IS NOT OLD.status
     AND NOT (OLD.status = 'confirmed' AND NEW.status = 'returned')
    BEGIN SELECT RAISE(ABORT, 'a settled deposit cannot go back'); END;
CREATE TRIGGER withdrawals_status_forward BEFORE UPDATE OF status ON withdrawals
    WHEN OLD.status <> 'pending' AND NEW.status IS NOT OLD.status
     AND NOT (OLD.status = 'paid' AND NEW.status = 'returned')
    BEGIN SELECT RAISE(ABORT, 'a settled withdrawal cannot go back'); END;

CREATE INDEX bank_events_outcome_idx ON bank_events (outcome);

COMMIT;
PRAGMA foreign_keys = ON;
