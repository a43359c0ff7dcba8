CREATE TABLE login_throttle (
    client_ip     TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (client_ip, window_start)
);
DROP TABLE rate_limits;
DROP TABLE sign_in_addresses;
ALTER TABLE users DROP COLUMN sign_in_alert_at;
ALTER TABLE users DROP COLUMN disabled_at;
DROP TABLE sessions;
