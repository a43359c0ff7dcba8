-- Sessions: one per sign-in. The refresh tokens of a sign-in share its id as
-- their family, and every access token names it in its `sid` claim, so
-- ending a session (logout, reuse of a spent refresh token, password reset,
-- an operator's sign-out or disabling) ends its access tokens too. Servers
-- learn of revocations by polling `revoked_at`.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    revoked_reason  TEXT CHECK (revoked_reason IN
        ('logout', 'refresh_reuse', 'password_reset', 'signed_out', 'disabled', 'before_sessions')),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Every refresh-token family so far becomes a session; a family any of
-- whose tokens was revoked had all of them revoked.
INSERT INTO sessions (id, user_id, created_at, revoked_at, revoked_reason)
SELECT family_id, MIN(user_id), MIN(created_at), MAX(revoked_at),
       CASE WHEN MAX(revoked_at) IS NULL THEN NULL ELSE 'before_sessions' END
FROM refresh_tokens
GROUP BY family_id;

-- An operator can disable an account: sign-in is refused until re-enabled.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
-- When the owner was last emailed about failed sign-ins (at most hourly).
ALTER TABLE users ADD COLUMN sign_in_alert_at TIMESTAMP;

-- Failed sign-ins per email from any address, for the lock that spares the
-- addresses an account has signed in from before. Keyed by the email as
-- typed, like `sign_in_addresses`, so unknown emails lock the same way.
-- (`users.failed_logins` and `users.locked_until` are no longer used; they
-- stay while servers of the previous version may still run, as does
-- `login_throttle`.)
CREATE TABLE sign_in_emails (
    email            TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMP,
    last_failure_at  TIMESTAMP NOT NULL
);

-- Failed sign-ins per (email, client address), so a flood from one address
-- locks that address out of that account, not the owner elsewhere. Keyed by
-- the email as typed (normalised), whether or not an account has it, so a
-- lock says nothing about which accounts exist.
CREATE TABLE sign_in_addresses (
    email            TEXT NOT NULL,
    client_ip        TEXT NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMP,
    last_failure_at  TIMESTAMP,
    last_success_at  TIMESTAMP,
    PRIMARY KEY (email, client_ip)
);

-- Fixed-window counters for every rate limit (sign-in, registration,
-- password-reset and verification mail), shared by every instance. A bucket
-- names the action and the client address or a hash of the target email.
CREATE TABLE rate_limits (
    bucket        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
