//! Errors that are the database's state, not a bug: it is away, busy, out
//! of disk or read-only. Each is answered 503 with `Retry-After` (see
//! [`crate::error`]), and in each the transaction was rolled back, or its
//! commit never reached the client: a retry with the same Idempotency-Key
//! either finds the first answer or does the work once.
//!
//! # How PostgreSQL's errors are told apart
//!
//! By their SQLSTATE where diesel gives it: diesel 2.3 reads the SQLSTATE
//! of every error (`PG_DIAG_SQLSTATE`) but only to choose a
//! [`DatabaseErrorKind`] — class 08 (connection exceptions) and a broken
//! connection become `ClosedConnection`, 25006 `ReadOnlyTransaction`,
//! 23xxx the constraint kinds — and gives the rest as `Unknown` with the
//! message text alone. Its `DatabaseErrorInformation` has no method for the
//! SQLSTATE (the type that holds the libpq result is private; adding one
//! is an open proposal upstream, diesel-rs/diesel#5232), and the
//! connection's libpq handle is not reachable either, so neither
//! `PQresultErrorField` nor `PQsetErrorVerbosity` can be used from here.
//!
//! So for 55P03 / 57014 / 40P01 (lock timeout, statement timeout,
//! deadlock), 53100 (disk full), 57P0x (shutdown, recovery) the text is
//! read, and made dependable instead: every PostgreSQL session of the
//! server asks for untranslated messages (`SET lc_messages TO 'C'`, see
//! `db::connection`), so a server configured with another `lc_messages`
//! still answers these in the English wording matched below. Where the
//! database role may not set `lc_messages` and the server speaks another
//! language, the start-up log says so once and how to grant it; those
//! errors would then answer 500.

use diesel::result::{DatabaseErrorKind, Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection was lost or could not be made: the server is down,
    /// restarting, or ended this session.
    Unavailable,
    /// A statement gave up waiting for a lock or ran out of time.
    Busy,
    /// No space left to write.
    StorageFull,
    /// The database takes no writes: a read-only file or file system, or a
    /// PostgreSQL standby.
    ReadOnly,
}

impl Fault {
    /// The fault behind a diesel error, if it is one.
    pub fn of(error: &Error) -> Option<Fault> {
        let Error::DatabaseError(kind, info) = error else {
            return match error {
                Error::BrokenTransactionManager => Some(Fault::Unavailable),
                Error::RollbackErrorOnCommit { commit_error, .. } => Fault::of(commit_error),
                _ => None,
            };
        };
        if matches!(
            kind,
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
        ) {
            return Some(Fault::Unavailable);
        }
        let message = info.message();
        let says = |phrases: &[&str]| phrases.iter().any(|p| message.contains(p));
        if says(BUSY) {
            Some(Fault::Busy)
        } else if says(FULL) {
            Some(Fault::StorageFull)
        } else if matches!(kind, DatabaseErrorKind::ReadOnlyTransaction) || says(READ_ONLY) {
            Some(Fault::ReadOnly)
        } else if says(UNAVAILABLE) {
            Some(Fault::Unavailable)
        } else {
            None
        }
    }
}

/// PostgreSQL's `lock_timeout` / `statement_timeout` / deadlock (SQLSTATE
/// 55P03 / 57014 / 40P01, which diesel reports by message only, untranslated
/// in the server's sessions), SQLite's busy timeout.
const BUSY: &[&str] = &[
    "canceling statement due to lock timeout",
    "canceling statement due to statement timeout",
    "database is locked",
    "deadlock detected",
];

/// SQLite's SQLITE_FULL; PostgreSQL's 53100 `disk_full` and the file
/// errors it reports when a relation or the WAL cannot grow.
const FULL: &[&str] = &[
    "database or disk is full",
    "No space left on device",
    "could not extend file",
];

/// SQLite's SQLITE_READONLY; PostgreSQL in recovery (25006).
const READ_ONLY: &[&str] = &[
    "attempt to write a readonly database",
    "read-only transaction",
];

/// PostgreSQL shutting down, starting up or in recovery (57P01..57P03),
/// sessions ended by an administrator, sockets gone; SQLite's I/O errors
/// (the file system went away under the database).
const UNAVAILABLE: &[&str] = &[
    "terminating connection",
    "canceling statement due to conflict with recovery",
    "the database system is",
    "server closed the connection",
    "no connection to the server",
    "could not receive data from server",
    "could not send data to server",
    "SSL SYSCALL error",
    "connection to server",
    "disk I/O error",
    "unable to open database file",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn faults_are_told_apart_by_kind_and_message() {
        use DatabaseErrorKind::*;
        let cases = [
            (ClosedConnection, "anything", Some(Fault::Unavailable)),
            (
                Unknown,
                "terminating connection due to administrator command",
                Some(Fault::Unavailable),
            ),
            (
                Unknown,
                "FATAL:  the database system is shutting down",
                Some(Fault::Unavailable),
            ),
            (
                Unknown,
                "database or disk is full",
                Some(Fault::StorageFull),
            ),
            (
                Unknown,
                "could not extend file \"base/1/2\": No space left on device",
                Some(Fault::StorageFull),
            ),
            (
                Unknown,
                "attempt to write a readonly database",
                Some(Fault::ReadOnly),
            ),
            (
                ReadOnlyTransaction,
                "cannot execute INSERT in a read-only transaction",
                Some(Fault::ReadOnly),
            ),
            (
                Unknown,
                "canceling statement due to lock timeout",
                Some(Fault::Busy),
            ),
            (Unknown, "database is locked", Some(Fault::Busy)),
            (Unknown, "deadlock detected", Some(Fault::Busy)),
            (
                UnableToSendCommand,
                "another command is already in progress",
                Some(Fault::Unavailable),
            ),
            (UniqueViolation, "duplicate key value", None),
            (Unknown, "syntax error at or near \"SELEC\"", None),
        ];
        for (kind, message, expected) in cases {
            assert_eq!(Fault::of(&error(kind, message)), expected, "{message}");
        }
        assert_eq!(Fault::of(&Error::NotFound), None);
        assert_eq!(
            Fault::of(&Error::BrokenTransactionManager),
            Some(Fault::Unavailable)
        );
    }
}
