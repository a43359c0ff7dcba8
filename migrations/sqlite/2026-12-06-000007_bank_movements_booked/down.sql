-- Refuses (a CHECK fails) when accounts of the new kinds exist, which the
-- previous release cannot hold.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP INDEX bank_events_outcome_idx;
DROP TRIGGER withdrawals_status_forward;
DROP TRIGGER deposits_status_forward;
DROP TABLE unreconciled_movements;
CREATE TABLE ledger_accounts_old (
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
INSERT INTO ledger_accounts_old (id, kind, owner_id, currency, balance, created_at)
SELECT id, kind, owner_id, currency, balance, created_at FROM ledger_accounts;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_old RENAME TO ledger_accounts;
CREATE TRIGGER ledger_accounts_identity BEFORE UPDATE OF id, kind, owner_id, currency, created_at
    ON ledger_accounts
    WHEN NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.owner_id <> OLD.owner_id
      OR NEW.currency <> OLD.currency OR NEW.created_at <> OLD.created_at
    BEGIN SELECT RAISE(ABORT, 'the identity of a ledger account cannot change'); END;
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    BEGIN SELECT RAISE(ABORT, 'ledger_accounts is append-only'); END;
COMMIT;
PRAGMA foreign_keys = ON;
