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

/// Added for the write pipeline's connection: its commits never stop to
/// copy the log into the database file (the checkpointer does it on its own
/// thread, `sqlite_file::spawn_checkpointer`); it keeps the pages every batch
/// touches (the default 2 MB cache re-read them); and the statement journal
/// each multi-row statement of a batch keeps stays in memory (in a file, it
/// cost a file created, written and deleted per batch).
pub(super) const SQLITE_WRITE_PATH_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 0; \
     PRAGMA cache_size = -32768; \
     PRAGMA temp_store = MEMORY;";

/// Opens a SQLite file (creating its folder first: the default lives in
/// `data/`, which a fresh checkout does not have).
pub(super) fn establish_sqlite(path: &str, commits: Commits) -> ConnectionResult<AnyConnection> {
    use diesel::connection::SimpleConnection;
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| {
                ConnectionError::BadConnection(format!(
                    "cannot create the folder {}: {e}",
                    dir.display()
                ))
            })?;
        }
    }
    let mut conn = diesel::SqliteConnection::establish(path)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .and_then(|()| match commits {
            Commits::Durable => Ok(()),
            Commits::Relaxed => conn.batch_execute("PRAGMA synchronous = NORMAL;"),
        })
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    Ok(AnyConnection::Sqlite(conn))
}

/// Whether a connection's commits wait for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commits {
    /// A commit is on disk before it returns: money, and all that answers
    /// a client.
    Durable,
    /// A commit may return before it is on disk (SQLite `synchronous =
    /// NORMAL` in WAL mode, PostgreSQL `synchronous_commit = off`): it is
    /// never torn, and survives this process being killed, but a crash of
    /// the machine or of PostgreSQL may undo the last moments of them. Only
    /// for bookkeeping whose loss repeats harmless work.
    Relaxed,
}

pub(super) fn establish_postgres(
    url: &str,
    timeouts: &super::pool::Timeouts,
    commits: Commits,
) -> ConnectionResult<AnyConnection> {
    use diesel::connection::SimpleConnection;
    let mut conn = diesel::PgConnection::establish(&with_network_limits(url))?;
    conn.batch_execute(&format!(
        "SET lock_timeout = {}; SET statement_timeout = {}; SET synchronous_commit = {};",
        timeouts.lock.as_millis(),
        timeouts.statement.as_millis(),
        match commits {
            Commits::Durable => "on",
            Commits::Relaxed => "off",
        }
    ))
    .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    untranslated_messages(&mut conn);
    Ok(AnyConnection::Postgresql(conn))
}

/// Asks the server to write this session's error messages untranslated
/// (`lc_messages = 'C'`), because [`super::faults`] must tell a lock or
/// statement timeout from a bug and diesel 2.3 gives it only the message
/// text, not the SQLSTATE (see there). `lc_messages` may be set by a
/// superuser or a role granted it (`GRANT SET ON PARAMETER lc_messages TO
/// role`, PostgreSQL 15+; or `ALTER ROLE role SET lc_messages = 'C'` by a
/// superuser). Where the role may not, the session keeps the server's
/// language: harmless when that is English, and logged once when it is not.
fn untranslated_messages(conn: &mut diesel::PgConnection) {
    use diesel::connection::SimpleConnection;
    use std::sync::atomic::{AtomicBool, Ordering};
    static WARNED: AtomicBool = AtomicBool::new(false);
    if conn.batch_execute("SET lc_messages TO 'C'").is_ok() {
        return;
    }
    // Which language the server answers in: an error it always words the
    // same way in English.
    let english = match conn.batch_execute("SELECT 1 / 0") {
        Err(diesel::result::Error::DatabaseError(_, info)) => info.message() == "division by zero",
        _ => true,
    };
    if !english && !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "PostgreSQL writes its error messages in another language (lc_messages) and this \
             role may not set lc_messages for its sessions: a lock or statement timeout will \
             answer 500 instead of 503 database_busy. Grant it: GRANT SET ON PARAMETER \
             lc_messages TO <role> (PostgreSQL 15+), or ALTER ROLE <role> SET lc_messages = 'C'"
        );
    }
}

/// libpq waits for a connection without limit unless told, and a server
/// that vanished from the network mid-query would hold its connection until
/// the kernel gives up on TCP (many minutes): five seconds to connect, and
/// TCP keepalives that notice a dead peer within about 25 s, unless the URL
/// sets its own.
fn with_network_limits(url: &str) -> std::borrow::Cow<'_, str> {
    const DEFAULTS: &[(&str, &str)] = &[
        ("connect_timeout", "5"),
        ("keepalives", "1"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
    ];
    let mut url = url.to_string();
    for (name, value) in DEFAULTS {
        if !url.contains(&format!("{name}=")) {
            let separator = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{separator}{name}={value}");
        }
    }
    url.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_limits_are_added_unless_the_url_has_them() {
        use super::with_network_limits as t;
        let added = "connect_timeout=5&keepalives=1&keepalives_idle=10\
                     &keepalives_interval=5&keepalives_count=3";
        assert_eq!(t("postgres://h/db"), format!("postgres://h/db?{added}"));
        assert_eq!(
            t("postgres://h/db?sslmode=require"),
            format!("postgres://h/db?sslmode=require&{added}")
        );
        assert!(t("postgres://h/db?connect_timeout=2")
            .starts_with("postgres://h/db?connect_timeout=2&keepalives=1"));
    }
}
