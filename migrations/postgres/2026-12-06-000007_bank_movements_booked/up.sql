-- Every bank movement is booked, whatever it matches. Money in that matches
-- nothing waits in suspense (unallocated_deposits, since 000005); money out
-- that matches nothing, or not its amount, waits in the account of
-- unreconciled bank movements until an operator assigns it to a transfer or
-- writes it off; a deposit the bank takes back after it was spent leaves the
-- investor owing it (a receivable). These three accounts hold what the
-- platform is owed or has lost, so their balances are never above zero.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN
    ('investor_cash', 'sponsor_payout', 'offering_escrow', 'platform_fee',
     'payouts_pending', 'external_bank', 'unallocated_deposits',
     'unreconciled_bank_movements', 'investor_receivable', 'bank_write_offs'));
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_balance_sign CHECK (CASE
    WHEN kind = 'external_bank' THEN TRUE
    WHEN kind IN ('unreconciled_bank_movements', 'investor_receivable', 'bank_write_offs') THEN balance <= 0
    ELSE balance >= 0 END);

-- Money that left the bank and matched no transfer of ours (or not its
-- amount, or not its reference), one row per bank transaction.
CREATE TABLE unreconciled_movements (
    id                   TEXT PRIMARY KEY,
    bank_txn_id          TEXT NOT NULL UNIQUE,
    -- The notification's kind: a payout, or a deposit sent back.
    kind                 TEXT NOT NULL CHECK (kind IN ('withdrawal', 'deposit_returned')),
    reference            TEXT NOT NULL,
    original_bank_txn_id TEXT,
    amount               BIGINT NOT NULL CHECK (amount > 0),
    reason               TEXT NOT NULL CHECK (reason IN
                           ('unmatched', 'amount_mismatch', 'already_settled', 'reference_mismatch')),
    -- What it quoted, when that exists.
    withdrawal_id        TEXT REFERENCES withdrawals (id),
    deposit_id           TEXT REFERENCES deposits (id),
    status               TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'written_off')),
    entry_id             TEXT NOT NULL REFERENCES journal_entries (id),
    -- assigned: the withdrawal, deposit or unallocated deposit it was the
    -- bank's side of.
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

-- Backstops that hold alike on both backends. An approved profile declares
-- exactly its approved figures: none missing (`=` passed NULL; SQLite's
-- trigger compares with IS).
ALTER TABLE investor_profiles DROP CONSTRAINT investor_profiles_approved_as_declared;
ALTER TABLE investor_profiles ADD CONSTRAINT investor_profiles_approved_as_declared CHECK (
    kyc_status <> 'approved' OR (approved_annual_income IS NOT DISTINCT FROM annual_income
        AND approved_net_worth IS NOT DISTINCT FROM net_worth
        AND approved_accredited IS NOT DISTINCT FROM accredited
        AND approved_external_investments_12m IS NOT DISTINCT FROM external_investments_12m));

-- A deposit or withdrawal that was settled with the bank never goes back:
-- confirmed/paid only forward to returned, returned never changes.
CREATE FUNCTION refuse_transfer_status_regress() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'pending' AND NEW.status IS DISTINCT FROM OLD.status
       AND NOT (OLD.status IN ('confirmed', 'paid') AND NEW.status = 'returned') THEN
        RAISE EXCEPTION '% % cannot go from % to %', TG_TABLE_NAME, OLD.id, OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER deposits_status_forward BEFORE UPDATE OF status ON deposits
    FOR EACH ROW EXECUTE FUNCTION refuse_transfer_status_regress();
CREATE TRIGGER withdrawals_status_forward BEFORE UPDATE OF status ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION refuse_transfer_status_regress();

-- What the retention job keeps forever: a bank notification whose outcome
-- booked nothing (is found by outcome).
CREATE INDEX bank_events_outcome_idx ON bank_events (outcome);
