-- The edges of the books: money that matched nothing, payouts and deposits
-- that come back, the fee fixed at approval, the limit last approved, and
-- the database's own backstops for rules the code keeps. See the PostgreSQL
-- migration of the same name for the reasons; SQLite rebuilds the tables
-- whose CHECK constraints change (the documented twelve-step procedure).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE UNIQUE INDEX journal_entries_one_per_subject ON journal_entries (kind, reference_id);

CREATE TABLE ledger_accounts_new (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN
                  ('investor_cash', 'sponsor_payout', 'offering_escrow', 'platform_fee',
                   'payouts_pending', 'external_bank', 'unallocated_deposits')),
    owner_id    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    balance     BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    CHECK (kind = 'external_bank' OR balance >= 0),
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

ALTER TABLE ledger_seals ADD COLUMN format INTEGER NOT NULL DEFAULT 1 CHECK (format IN (1, 2));

CREATE TABLE deposits_new (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id),
    reference          TEXT NOT NULL UNIQUE,
    amount             BIGINT NOT NULL CHECK (amount > 0),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'returned')),
    bank_txn_id        TEXT,
    entry_id           TEXT REFERENCES journal_entries (id),
    created_at         TIMESTAMP NOT NULL,
    confirmed_at       TIMESTAMP,
    returned_entry_id  TEXT REFERENCES journal_entries (id),
    returned_at        TIMESTAMP,
    CHECK ((status = 'pending') = (entry_id IS NULL)),
    CHECK ((status = 'returned') = (returned_entry_id IS NOT NULL))
);
INSERT INTO deposits_new (id, user_id, reference, amount, status, bank_txn_id, entry_id, created_at, confirmed_at)
SELECT id, user_id, reference, amount, status, bank_txn_id, entry_id, created_at, confirmed_at FROM deposits;
DROP TABLE deposits;
ALTER TABLE deposits_new RENAME TO deposits;
CREATE INDEX deposits_user_idx ON deposits (user_id, created_at);
CREATE UNIQUE INDEX deposits_bank_txn_idx ON deposits (bank_txn_id);

CREATE TABLE withdrawals_new (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id),
    account_id          TEXT NOT NULL REFERENCES ledger_accounts (id),
    reference           TEXT NOT NULL UNIQUE,
    amount              BIGINT NOT NULL CHECK (amount > 0),
    status              TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'returned')),
    bank_txn_id         TEXT,
    hold_entry_id       TEXT NOT NULL REFERENCES journal_entries (id),
    paid_entry_id       TEXT REFERENCES journal_entries (id),
    created_at          TIMESTAMP NOT NULL,
    paid_at             TIMESTAMP,
    returned_entry_id   TEXT REFERENCES journal_entries (id),
    returned_at         TIMESTAMP,
    return_bank_txn_id  TEXT,
    CHECK (status <> 'paid' OR paid_entry_id IS NOT NULL),
    CHECK ((status = 'returned') = (returned_entry_id IS NOT NULL))
);
INSERT INTO withdrawals_new (id, user_id, account_id, reference, amount, status, bank_txn_id,
                             hold_entry_id, paid_entry_id, created_at, paid_at)
SELECT id, user_id, account_id, reference, amount, status, bank_txn_id,
       hold_entry_id, paid_entry_id, created_at, paid_at FROM withdrawals;
DROP TABLE withdrawals;
ALTER TABLE withdrawals_new RENAME TO withdrawals;
CREATE INDEX withdrawals_user_idx ON withdrawals (user_id, created_at);
CREATE UNIQUE INDEX withdrawals_bank_txn_idx ON withdrawals (bank_txn_id);
CREATE UNIQUE INDEX withdrawals_return_bank_txn_idx ON withdrawals (return_bank_txn_id);

CREATE TABLE unallocated_deposits (
    id                 TEXT PRIMARY KEY,
    bank_txn_id        TEXT NOT NULL UNIQUE,
    reference          TEXT NOT NULL,
    amount             BIGINT NOT NULL CHECK (amount > 0),
    reason             TEXT NOT NULL CHECK (reason IN ('unmatched', 'amount_mismatch', 'already_settled')),
    deposit_id         TEXT REFERENCES deposits (id),
    status             TEXT NOT NULL CHECK (status IN ('open', 'credited', 'returned')),
    entry_id           TEXT NOT NULL REFERENCES journal_entries (id),
    credited_to        TEXT REFERENCES users (id),
    resolved_entry_id  TEXT REFERENCES journal_entries (id),
    resolved_by        TEXT,
    resolved_at        TIMESTAMP,
    return_bank_txn_id TEXT UNIQUE,
    note               TEXT,
    received_at        TIMESTAMP NOT NULL,
    CHECK ((status = 'open') = (resolved_entry_id IS NULL)),
    CHECK (status <> 'credited' OR credited_to IS NOT NULL)
);
CREATE INDEX unallocated_deposits_status_idx ON unallocated_deposits (status, received_at);

CREATE TABLE bank_transfers (
    id           TEXT PRIMARY KEY,
    direction    TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
    kind         TEXT NOT NULL CHECK (kind IN
                   ('deposit', 'withdrawal', 'unallocated_deposit', 'deposit_return', 'withdrawal_return')),
    subject_id   TEXT NOT NULL,
    bank_txn_id  TEXT UNIQUE,
    reference    TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    entry_id     TEXT NOT NULL UNIQUE REFERENCES journal_entries (id),
    booked_at    TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_id)
);
CREATE INDEX bank_transfers_booked_idx ON bank_transfers (booked_at);
CREATE INDEX bank_transfers_reference_idx ON bank_transfers (reference);
INSERT INTO bank_transfers (id, direction, kind, subject_id, bank_txn_id, reference, amount, entry_id, booked_at)
SELECT 'deposit:' || id, 'credit', 'deposit', id, bank_txn_id, reference, amount, entry_id, confirmed_at
FROM deposits WHERE status = 'confirmed';
INSERT INTO bank_transfers (id, direction, kind, subject_id, bank_txn_id, reference, amount, entry_id, booked_at)
SELECT 'withdrawal:' || id, 'debit', 'withdrawal', id, bank_txn_id, reference, amount, paid_entry_id, paid_at
FROM withdrawals WHERE status = 'paid';
CREATE TRIGGER bank_transfers_no_update BEFORE UPDATE ON bank_transfers
    BEGIN SELECT RAISE(ABORT, 'bank_transfers is append-only'); END;
CREATE TRIGGER bank_transfers_no_delete BEFORE DELETE ON bank_transfers
    BEGIN SELECT RAISE(ABORT, 'bank_transfers is append-only'); END;

ALTER TABLE offerings ADD COLUMN fee_bps INTEGER CHECK (fee_bps BETWEEN 0 AND 10000);
CREATE TRIGGER offerings_fee_fixed BEFORE UPDATE OF fee_bps ON offerings
    WHEN OLD.fee_bps IS NOT NULL AND NEW.fee_bps IS NOT OLD.fee_bps
    BEGIN SELECT RAISE(ABORT, 'the fee of an offering was fixed at approval'); END;

ALTER TABLE investor_profiles ADD COLUMN approved_annual_income BIGINT;
ALTER TABLE investor_profiles ADD COLUMN approved_net_worth BIGINT;
ALTER TABLE investor_profiles ADD COLUMN approved_accredited BOOLEAN;
ALTER TABLE investor_profiles ADD COLUMN approved_external_investments_12m BIGINT;
UPDATE investor_profiles SET approved_annual_income = annual_income, approved_net_worth = net_worth,
    approved_accredited = accredited, approved_external_investments_12m = external_investments_12m
WHERE kyc_status = 'approved';
-- SQLite cannot add a table CHECK to an existing table: the same rules as
-- PostgreSQL's constraints, as triggers on insert and update.
CREATE TRIGGER investor_profiles_approved_insert BEFORE INSERT ON investor_profiles
    WHEN NOT ((NEW.approved_annual_income IS NULL) = (NEW.approved_net_worth IS NULL)
          AND (NEW.approved_annual_income IS NULL) = (NEW.approved_accredited IS NULL)
          AND (NEW.approved_annual_income IS NULL) = (NEW.approved_external_investments_12m IS NULL))
      OR (NEW.kyc_status = 'approved' AND NOT (
             NEW.approved_annual_income IS NEW.annual_income AND NEW.approved_net_worth IS NEW.net_worth
         AND NEW.approved_accredited IS NEW.accredited
         AND NEW.approved_external_investments_12m IS NEW.external_investments_12m))
    BEGIN SELECT RAISE(ABORT, 'an approved profile must declare the figures it was approved on'); END;
CREATE TRIGGER investor_profiles_approved_update BEFORE UPDATE ON investor_profiles
    WHEN NOT ((NEW.approved_annual_income IS NULL) = (NEW.approved_net_worth IS NULL)
          AND (NEW.approved_annual_income IS NULL) = (NEW.approved_accredited IS NULL)
          AND (NEW.approved_annual_income IS NULL) = (NEW.approved_external_investments_12m IS NULL))
      OR (NEW.kyc_status = 'approved' AND NOT (
             NEW.approved_annual_income IS NEW.annual_income AND NEW.approved_net_worth IS NEW.net_worth
         AND NEW.approved_accredited IS NEW.accredited
         AND NEW.approved_external_investments_12m IS NEW.external_investments_12m))
    BEGIN SELECT RAISE(ABORT, 'an approved profile must declare the figures it was approved on'); END;

CREATE TABLE job_failures (
    job              TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    last_error       TEXT NOT NULL,
    failed_at        TIMESTAMP NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (job, subject_id)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX bank_events_received_idx ON bank_events (received_at);

COMMIT;
PRAGMA foreign_keys = ON;
