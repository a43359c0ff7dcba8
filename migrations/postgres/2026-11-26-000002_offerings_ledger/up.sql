-- Investors' profiles and KYC, offerings, subscriptions, and the double-entry ledger.
-- Money is BIGINT minor units (e.g. cents).

CREATE TABLE investor_profiles (
    user_id                   TEXT PRIMARY KEY REFERENCES users (id),
    legal_name                TEXT NOT NULL,
    country                   TEXT NOT NULL,
    annual_income             BIGINT NOT NULL CHECK (annual_income >= 0),
    net_worth                 BIGINT NOT NULL CHECK (net_worth >= 0),
    accredited                BOOLEAN NOT NULL,
    external_investments_12m  BIGINT NOT NULL CHECK (external_investments_12m >= 0),
    kyc_status                TEXT NOT NULL CHECK (kyc_status IN ('pending', 'approved', 'rejected')),
    kyc_reason                TEXT,
    kyc_decided_by            TEXT REFERENCES users (id),
    kyc_decided_at            TIMESTAMP,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL
);
CREATE INDEX investor_profiles_kyc_idx ON investor_profiles (kyc_status, updated_at);

CREATE TABLE offerings (
    id                TEXT PRIMARY KEY,
    sponsor_id        TEXT NOT NULL REFERENCES users (id),
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL,
    description       TEXT NOT NULL,
    security_type     TEXT NOT NULL,
    price_per_share   BIGINT NOT NULL CHECK (price_per_share > 0),
    target_amount     BIGINT NOT NULL CHECK (target_amount > 0),
    min_raise         BIGINT NOT NULL CHECK (min_raise > 0 AND min_raise <= target_amount),
    min_subscription  BIGINT NOT NULL CHECK (min_subscription > 0),
    max_per_investor  BIGINT CHECK (max_per_investor > 0),
    opens_at          TIMESTAMP,
    closes_at         TIMESTAMP NOT NULL,
    status            TEXT NOT NULL CHECK (status IN
                        ('draft', 'in_review', 'open', 'funded', 'failed', 'cancelled', 'settled', 'refunded')),
    -- The last line of defence against oversubscription: whatever the code
    -- does, the database refuses raised > target_amount.
    raised            BIGINT NOT NULL DEFAULT 0 CHECK (raised >= 0 AND raised <= target_amount),
    rejection_reason  TEXT,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    submitted_at      TIMESTAMP,
    approved_at       TIMESTAMP,
    closed_at         TIMESTAMP
);
CREATE INDEX offerings_status_closes_idx ON offerings (status, closes_at);
CREATE INDEX offerings_sponsor_idx ON offerings (sponsor_id, created_at);

-- Ledger accounts. Kinds: investor_cash (owner: user), sponsor_payout (owner:
-- user), offering_escrow (owner: offering), platform_fee, payouts_pending (money
-- on its way out to the bank) and external_bank (the world outside; the only
-- account that may go negative). balance is a cache of the sum of postings.
CREATE TABLE ledger_accounts (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN
                  ('investor_cash', 'sponsor_payout', 'offering_escrow', 'platform_fee',
                   'payouts_pending', 'external_bank')),
    owner_id    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    balance     BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    CHECK (kind = 'external_bank' OR balance >= 0),
    UNIQUE (kind, owner_id)
);

-- Append-only: a journal entry is one money movement; its postings sum to zero.
CREATE TABLE journal_entries (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    reference_id TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX journal_entries_reference_idx ON journal_entries (reference_id);

CREATE TABLE postings (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT NOT NULL REFERENCES journal_entries (id),
    account_id  TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount      BIGINT NOT NULL CHECK (amount <> 0),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX postings_account_idx ON postings (account_id, id);
CREATE INDEX postings_entry_idx ON postings (entry_id);

CREATE TABLE subscriptions (
    id            TEXT PRIMARY KEY,
    offering_id   TEXT NOT NULL REFERENCES offerings (id),
    investor_id   TEXT NOT NULL REFERENCES users (id),
    shares        BIGINT NOT NULL CHECK (shares > 0),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'settled', 'refunded')),
    entry_id      TEXT NOT NULL REFERENCES journal_entries (id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX subscriptions_offering_idx ON subscriptions (offering_id, status);
CREATE INDEX subscriptions_investor_idx ON subscriptions (investor_id, created_at);

-- Deposits announced by investors, confirmed by the bank's webhook.
CREATE TABLE deposits (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    reference     TEXT NOT NULL UNIQUE,
    amount        BIGINT NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'confirmed')),
    bank_txn_id   TEXT,
    entry_id      TEXT REFERENCES journal_entries (id),
    created_at    TIMESTAMP NOT NULL,
    confirmed_at  TIMESTAMP
);
CREATE INDEX deposits_user_idx ON deposits (user_id, created_at);

-- Withdrawals: the money is held (moved to payouts_pending) when asked for,
-- and leaves for the bank when the bank confirms the payout.
CREATE TABLE withdrawals (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    account_id    TEXT NOT NULL REFERENCES ledger_accounts (id),
    reference     TEXT NOT NULL UNIQUE,
    amount        BIGINT NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'paid')),
    bank_txn_id   TEXT,
    hold_entry_id TEXT NOT NULL REFERENCES journal_entries (id),
    paid_entry_id TEXT REFERENCES journal_entries (id),
    created_at    TIMESTAMP NOT NULL,
    paid_at       TIMESTAMP
);
CREATE INDEX withdrawals_user_idx ON withdrawals (user_id, created_at);

-- Every notification the bank sent, once per bank transaction id, with what
-- became of it (credited, paid, unmatched, amount_mismatch, ...).
CREATE TABLE bank_events (
    bank_txn_id  TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    reference    TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    outcome      TEXT NOT NULL,
    raw_body     TEXT NOT NULL,
    received_at  TIMESTAMP NOT NULL
);

-- Saved responses of money-moving requests, per user and Idempotency-Key.
CREATE TABLE idempotency_keys (
    user_id        TEXT NOT NULL REFERENCES users (id),
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    locked_at      TIMESTAMP NOT NULL,
    status_code    INTEGER,
    response_body  TEXT,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
