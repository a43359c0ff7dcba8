-- Refuses when data of this release exists that the previous one cannot hold
-- (accounts of the new kinds, or a negative balance).
DROP INDEX bank_events_outcome_idx;
DROP TRIGGER withdrawals_status_forward ON withdrawals;
DROP TRIGGER deposits_status_forward ON deposits;
DROP FUNCTION refuse_transfer_status_regress();
ALTER TABLE investor_profiles DROP CONSTRAINT investor_profiles_approved_as_declared;
ALTER TABLE investor_profiles ADD CONSTRAINT investor_profiles_approved_as_declared CHECK (
    kyc_status <> 'approved' OR (approved_annual_income = annual_income
        AND approved_net_worth = net_worth AND approved_accredited = accredited
        AND approved_external_investments_12m = external_investments_12m));
DROP TABLE unreconciled_movements;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_balance_sign;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_check CHECK (kind = 'external_bank' OR balance >= 0);
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN
    ('investor_cash', 'sponsor_payout', 'offering_escrow', 'platform_fee',
     'payouts_pending', 'external_bank', 'unallocated_deposits'));
