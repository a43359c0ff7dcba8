//! The connection enum over both backends.

use diesel::prelude::*;

/// One connection type for the whole application; the variant is chosen by
/// [`super::DatabaseUrl`], never by trial and error.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// SQLite settings applied to every new connection: WAL so readers never block
/// the writer; `synchronous = FULL` so that a commit is on disk before anyone
/// is told it happened (an acknowledged subscription survives a power cut;
/// the write pipeline shares each flush among a whole batch); a generous busy
/// timeout so writers queue instead of failing; foreign keys enforced.
/// `busy_timeout` comes first: switching a new file to WAL needs a lock that
/// the pool's other new connections may be holding.
pub(super) const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON;";

pub(super) fn establish_sqlite(path: &str) -> ConnectionResult<AnyConnection> {
    use diesel::connection::SimpleConnection;
    let mut conn = diesel::SqliteConnection::establish(path)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    Ok(AnyConnection::Sqlite(conn))
}

pub(super) fn establish_postgres(
    url: &str,
    timeouts: &super::pool::Timeouts,
) -> ConnectionResult<AnyConnection> {
    use diesel::connection::SimpleConnection;
    let mut conn = diesel::PgConnection::establish(url)?;
    conn.batch_execute(&format!(
        "SET lock_timeout = {}; SET statement_timeout = {};",
        timeouts.lock.as_millis(),
        timeouts.statement.as_millis()
    ))
    .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    Ok(AnyConnection::Postgresql(conn))
}
