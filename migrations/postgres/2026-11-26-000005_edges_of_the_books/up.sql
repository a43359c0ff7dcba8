-- The edges of the books: money that matched nothing, payouts and deposits
-- that come back, the fee fixed at approval, the limit last approved, and
-- the database's own backstops for rules the code keeps.

-- Each kind of journal entry happens at most once per subject (a deposit is
-- credited once, a subscription refunded once, a round settled once, ...).
CREATE UNIQUE INDEX journal_entries_one_per_subject ON journal_entries (kind, reference_id);

-- Money that reached the bank but matched no announced deposit (or not its
-- amount) waits in the suspense account `unallocated_deposits` until an
-- operator credits it to an investor or it goes back to the sender.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN
    ('investor_cash', 'sponsor_payout', 'offering_escrow', 'platform_fee',
     'payouts_pending', 'external_bank', 'unallocated_deposits'));

-- An account's identity never changes and an account is never deleted: a
-- re-pointed owner would move money without a posting. Only the balance
-- (a cache of the postings) is updated, and this trigger does not fire then.
CREATE FUNCTION refuse_identity_change() RETURNS trigger AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.owner_id <> OLD.owner_id
       OR NEW.currency <> OLD.currency OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'the identity of ledger account % cannot change', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_accounts_identity BEFORE UPDATE OF id, kind, owner_id, currency, created_at
    ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Append-only also against TRUNCATE, which row triggers do not see.
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_seals_no_truncate BEFORE TRUNCATE ON ledger_seals
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER entry_seals_no_truncate BEFORE TRUNCATE ON entry_seals
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Seals of format 2 also hash each posting's account identity (kind, owner,
-- currency). Seals written before keep format 1 and verify as they were made.
ALTER TABLE ledger_seals ADD COLUMN format INTEGER NOT NULL DEFAULT 1 CHECK (format IN (1, 2));

-- Deposits: a credited deposit the bank takes back is `returned`.
ALTER TABLE deposits DROP CONSTRAINT deposits_status_check;
ALTER TABLE deposits ADD COLUMN returned_entry_id TEXT REFERENCES journal_entries (id);
ALTER TABLE deposits ADD COLUMN returned_at TIMESTAMP;
ALTER TABLE deposits ADD CONSTRAINT deposits_status_check
    CHECK (status IN ('pending', 'confirmed', 'returned'));
ALTER TABLE deposits ADD CONSTRAINT deposits_credit_check
    CHECK ((status = 'pending') = (entry_id IS NULL));
ALTER TABLE deposits ADD CONSTRAINT deposits_return_check
    CHECK ((status = 'returned') = (returned_entry_id IS NOT NULL));
CREATE UNIQUE INDEX deposits_bank_txn_idx ON deposits (bank_txn_id);

-- Withdrawals: a payout the bank rejects (before) or returns (after paying)
-- is `returned`, and the money is back in its owner's account.
ALTER TABLE withdrawals DROP CONSTRAINT withdrawals_status_check;
ALTER TABLE withdrawals ADD COLUMN returned_entry_id TEXT REFERENCES journal_entries (id);
ALTER TABLE withdrawals ADD COLUMN returned_at TIMESTAMP;
ALTER TABLE withdrawals ADD COLUMN return_bank_txn_id TEXT;
ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_status_check
    CHECK (status IN ('pending', 'paid', 'returned'));
ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_paid_check
    CHECK (status <> 'paid' OR paid_entry_id IS NOT NULL);
ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_return_check
    CHECK ((status = 'returned') = (returned_entry_id IS NOT NULL));
CREATE UNIQUE INDEX withdrawals_bank_txn_idx ON withdrawals (bank_txn_id);
CREATE UNIQUE INDEX withdrawals_return_bank_txn_idx ON withdrawals (return_bank_txn_id);

-- Incoming money that matched no deposit (or not its amount), held in the
-- suspense account until resolved: credited to an investor, or returned.
CREATE TABLE unallocated_deposits (
    id                TEXT PRIMARY KEY,
    bank_txn_id       TEXT NOT NULL UNIQUE,
    reference         TEXT NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount > 0),
    reason            TEXT NOT NULL CHECK (reason IN ('unmatched', 'amount_mismatch', 'already_settled')),
    -- The announced deposit whose reference it quoted, if any.
    deposit_id        TEXT REFERENCES deposits (id),
    status            TEXT NOT NULL CHECK (status IN ('open', 'credited', 'returned')),
    entry_id          TEXT NOT NULL REFERENCES journal_entries (id),
    credited_to       TEXT REFERENCES users (id),
    resolved_entry_id TEXT REFERENCES journal_entries (id),
    resolved_by       TEXT,
    resolved_at       TIMESTAMP,
    -- A return the bank made, or the outgoing transfer an operator made.
    return_bank_txn_id TEXT UNIQUE,
    note              TEXT,
    received_at       TIMESTAMP NOT NULL,
    CHECK ((status = 'open') = (resolved_entry_id IS NULL)),
    CHECK (status <> 'credited' OR credited_to IS NOT NULL)
);
CREATE INDEX unallocated_deposits_status_idx ON unallocated_deposits (status, received_at);

-- Every movement of money across the bank boundary, one row per posting
-- against the external bank account: what a bank statement is matched with.
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
CREATE TRIGGER bank_transfers_append_only BEFORE UPDATE OR DELETE ON bank_transfers
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER bank_transfers_no_truncate BEFORE TRUNCATE ON bank_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The platform fee is fixed on the offering when it is approved. Offerings
-- approved before this column existed have none and settle at the server's
-- PLATFORM_FEE_BPS. Once set, it never changes.
ALTER TABLE offerings ADD COLUMN fee_bps INTEGER CHECK (fee_bps BETWEEN 0 AND 10000);
CREATE FUNCTION refuse_fee_change() RETURNS trigger AS $$
BEGIN
    IF OLD.fee_bps IS NOT NULL AND NEW.fee_bps IS DISTINCT FROM OLD.fee_bps THEN
        RAISE EXCEPTION 'the fee of offering % was fixed at approval', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER offerings_fee_fixed BEFORE UPDATE OF fee_bps ON offerings
    FOR EACH ROW EXECUTE FUNCTION refuse_fee_change();

-- The figures an investor's limit was last approved on. An approved profile
-- declares exactly these; a change sends it back to review while the
-- approved figures stay in force.
ALTER TABLE investor_profiles ADD COLUMN approved_annual_income BIGINT;
ALTER TABLE investor_profiles ADD COLUMN approved_net_worth BIGINT;
ALTER TABLE investor_profiles ADD COLUMN approved_accredited BOOLEAN;
ALTER TABLE investor_profiles ADD COLUMN approved_external_investments_12m BIGINT;
UPDATE investor_profiles SET approved_annual_income = annual_income, approved_net_worth = net_worth,
    approved_accredited = accredited, approved_external_investments_12m = external_investments_12m
WHERE kyc_status = 'approved';
ALTER TABLE investor_profiles ADD CONSTRAINT investor_profiles_approved_whole CHECK (
    (approved_annual_income IS NULL) = (approved_net_worth IS NULL)
    AND (approved_annual_income IS NULL) = (approved_accredited IS NULL)
    AND (approved_annual_income IS NULL) = (approved_external_investments_12m IS NULL));
ALTER TABLE investor_profiles ADD CONSTRAINT investor_profiles_approved_as_declared CHECK (
    kyc_status <> 'approved' OR (approved_annual_income = annual_income
        AND approved_net_worth = net_worth AND approved_accredited = accredited
        AND approved_external_investments_12m = external_investments_12m));

-- Background work that failed for one subject (a round that would not
-- refund, ...): retried after a back-off, never blocking the others.
CREATE TABLE job_failures (
    job              TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    last_error       TEXT NOT NULL,
    failed_at        TIMESTAMP NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (job, subject_id)
);

-- What the retention job prunes, oldest first.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX bank_events_received_idx ON bank_events (received_at);
