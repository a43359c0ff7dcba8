//! Start-up against a database that may not be up yet (a container started
//! beside it, a restart of both): wait for it, with backoff and a log line
//! per attempt, for a bounded time. A database that answers "no" (wrong
//! password, no such database or role, a URL libpq cannot read) is not
//! waited for: that will not change by itself.

use std::time::{Duration, Instant};

use diesel::ConnectionError;

use super::connection::{establish_postgres, establish_sqlite, Commits};
use super::pool::Timeouts;
use super::{AnyConnection, DatabaseUrl};

const FIRST_RETRY: Duration = Duration::from_millis(250);
const LONGEST_RETRY: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("the database refused the connection, which retrying will not change: {0}")]
    Refused(String),
    #[error("the database could not be reached within {waited:?} ({attempts} attempts): {last}")]
    GaveUp {
        waited: Duration,
        attempts: u32,
        last: String,
    },
}

/// Connects, retrying for up to `wait` while the database cannot be reached.
pub fn wait_for_database(url: &DatabaseUrl, wait: Duration) -> Result<AnyConnection, StartupError> {
    let started = Instant::now();
    let mut delay = FIRST_RETRY;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let error = match connect(url) {
            Ok(conn) => {
                if attempts > 1 {
                    tracing::info!(attempts, "connected to the database");
                }
                return Ok(conn);
            }
            Err(error) => error,
        };
        let message = error.to_string().trim().replace('\n', " ");
        if is_final(url, &error) {
            return Err(StartupError::Refused(message));
        }
        let waited = started.elapsed();
        if waited + delay > wait {
            return Err(StartupError::GaveUp {
                waited,
                attempts,
                last: message,
            });
        }
        tracing::warn!(
            attempts,
            retry_in_ms = delay.as_millis() as u64,
            error = message,
            "the database cannot be reached yet; waiting for it"
        );
        std::thread::sleep(delay);
        delay = (delay * 2).min(LONGEST_RETRY);
    }
}

fn connect(url: &DatabaseUrl) -> Result<AnyConnection, ConnectionError> {
    match url {
        // No time limits: the migrations that follow may wait for another
        // server's.
        DatabaseUrl::Postgres(url) => {
            establish_postgres(url, &Timeouts::default(), Commits::Durable)
        }
        DatabaseUrl::Sqlite(path) => establish_sqlite(path, Commits::Durable),
    }
}

/// Whether retrying cannot help: a SQLite file that cannot be opened is a
/// path or permission to fix; PostgreSQL said who or what it will not serve.
fn is_final(url: &DatabaseUrl, error: &ConnectionError) -> bool {
    match (url, error) {
        (DatabaseUrl::Sqlite(_), _) => true,
        (_, ConnectionError::BadConnection(message)) => {
            REFUSALS.iter().any(|r| message.contains(r))
        }
        (_, _) => true,
    }
}

/// What PostgreSQL (or libpq) says when the URL, not the server's state, is wrong.
const REFUSALS: &[&str] = &[
    "authentication failed",
    "no password supplied",
    "does not exist",
    "no pg_hba.conf entry",
    "could not translate host name",
    "invalid URI",
    "invalid connection option",
    "invalid sslmode",
    "invalid integer value",
    "server does not support SSL",
    "certificate",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_state_is_waited_for() {
        let pg = DatabaseUrl::Postgres("postgres://x@h/db".into());
        let bad = |m: &str| ConnectionError::BadConnection(m.into());
        for waited in [
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused",
            "connection to server at \"h\" failed: FATAL:  the database system is starting up",
            "FATAL:  sorry, too many clients already",
            "SSL SYSCALL error: EOF detected",
        ] {
            assert!(!is_final(&pg, &bad(waited)), "{waited}");
        }
        for refused in [
            "FATAL:  password authentication failed for user \"x\"",
            "FATAL:  database \"db\" does not exist",
            "FATAL:  role \"x\" does not exist",
            "could not translate host name \"nohost\" to address",
        ] {
            assert!(is_final(&pg, &bad(refused)), "{refused}");
        }
        assert!(is_final(
            &pg,
            &ConnectionError::InvalidConnectionUrl("x".into())
        ));
    }
}
