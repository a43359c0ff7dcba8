-- Accounts, sign-in tokens, login throttling and the email outbox.
-- Times are TIMESTAMP holding UTC; ids are UUIDv7 strings.

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE,
    password_hash      TEXT NOT NULL,
    display_name       TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('investor', 'sponsor', 'operator')),
    email_verified_at  TIMESTAMP,
    failed_logins      INTEGER NOT NULL DEFAULT 0,
    locked_until       TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

-- Single-use tokens mailed to a user (email verification, password reset).
-- Only a SHA-256 of the token is stored.
CREATE TABLE user_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

-- Rotating refresh tokens. All tokens descended from one login share a family;
-- presenting a token that was already rotated revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    expires_at  TIMESTAMP NOT NULL,
    rotated_at  TIMESTAMP,
    revoked_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Login attempts per client address per minute, shared by every instance.
CREATE TABLE login_throttle (
    client_ip     TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (client_ip, window_start)
);

-- Every email is written here in the transaction of the event that causes it;
-- the relay sends it later. claimed_by/claimed_until is a lease, so several
-- instances never send one message at the same time.
CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    claimed_by       TEXT,
    claimed_until    TIMESTAMP,
    sent_at          TIMESTAMP,
    failed_at        TIMESTAMP,
    last_error       TEXT
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
