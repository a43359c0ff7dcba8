DROP TABLE rate_limits;
DROP TABLE sign_in_addresses;
DROP TABLE sign_in_emails;
ALTER TABLE users DROP COLUMN sign_in_alert_at;
ALTER TABLE users DROP COLUMN disabled_at;
DROP TABLE sessions;
