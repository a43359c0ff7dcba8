//! Persistence: one codebase over SQLite (embedded default) and PostgreSQL.
//!
//! Everything that differs between the two dialects is decided here, by a
//! `match` on [`AnyConnection`]; the rest of the code sees one connection type.
//!
//! # Lock order
//!
//! On PostgreSQL every transaction that locks more than one of these rows
//! takes them in this order, and rows of one kind in id order, so that no two
//! transactions (of one server or of several) ever wait for each other in a
//! cycle:
//!
//! 1. Idempotency-Keys claimed by the write pipeline (by user, then key);
//! 2. investors' cash accounts (then, where a transaction moves it, the
//!    same investor's receivable: every transaction that makes an investor
//!    owe more locks the cash account first);
//! 3. offerings' escrow accounts;
//! 4. subscriptions;
//! 5. offerings.
//!
//! 3 and 5 are the hot rows that every subscriber to a round contends for:
//! rows no other transaction can reach (journal entries, postings, emails,
//! audit records, saved answers) are written before them, so that they are
//! held for the last few statements and the commit only. Rows that are
//! updated are locked `FOR NO KEY UPDATE`, which does not block the
//! foreign-key checks of rows inserted against them. On SQLite a write
//! transaction holds the database's write lock from `BEGIN`, and the order
//! does not matter.

pub mod audit;
pub mod bank;
mod connection;
pub mod documents;
pub mod faults;
pub mod files;
mod health;
pub mod idempotency;
pub mod job_failures;
pub mod leads;
pub mod material_changes;
mod migrations;
pub mod offerings;
pub mod page;
mod pool;
pub mod posts;
pub mod prepared;
pub mod profiles;
pub mod progress;
pub mod rate_limits;
pub mod raw;
pub mod retention;
pub mod schema;
pub mod sessions;
pub mod sign_in;
pub mod sqlite_file;
mod startup;
pub mod subscriptions;
pub mod tokens;
mod transaction;
pub mod unallocated;
pub mod unreconciled;
pub mod updates;
mod url;
pub mod users;
mod write_gate;

pub use connection::AnyConnection;

/// The first row of `query` (a selection), or None; on PostgreSQL locked
/// `FOR UPDATE` until the transaction ends, so that two transactions acting
/// on the same row queue (on SQLite the write transaction holds the whole
/// database). A macro, not a function: `as_select` fixes its backend at
/// first use, so each arm builds the query anew.
macro_rules! first_locked {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql(c) => $query.for_update().first(c).optional(),
            $crate::db::AnyConnection::Sqlite(c) => $query.first(c).optional(),
        }
    };
}
pub(crate) use first_locked;

/// The backend type of [`AnyConnection`], for boxed queries.
pub type Backend = <AnyConnection as diesel::Connection>::Backend;
pub use faults::Fault;
pub use migrations::{run_migrations, schema_state, MigrationError, SchemaState};
pub use pool::{
    build_pool, build_pool_relaxed, build_pool_untested, build_pool_with, CheckoutError,
    ConnectionManager, DbPool, PoolUsage, PooledConn, Timeouts,
};
pub use startup::{wait_for_database, StartupError};
pub use transaction::{read_snapshot, write_transaction};
pub use url::{DatabaseUrl, DatabaseUrlError};

/// The current time, truncated to microseconds (what both backends store), UTC.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// The database's clock, as [`now`] gives it: on PostgreSQL the server's own
/// time, so that several application servers with different clocks agree on
/// when an offering's deadline passed; on SQLite (embedded, one machine) the
/// local clock.
///
/// On PostgreSQL the setting `crowdfund.clock_offset` (an interval, unset in
/// production) is added: a drill or a test moves the clock of new
/// connections with `ALTER DATABASE ... SET crowdfund.clock_offset = '8 days'`,
/// and every deadline (offerings, reconfirmations, scheduled updates, leases)
/// follows. On SQLite the clock is the server process's own.
pub fn clock(conn: &mut AnyConnection) -> diesel::QueryResult<chrono::NaiveDateTime> {
    use chrono::SubsecRound;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Now {
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        now: chrono::NaiveDateTime,
    }
    match conn {
        AnyConnection::Postgresql(_) => prepared::Statement::new(conn)
            .sql(
                "SELECT CAST(clock_timestamp() AT TIME ZONE 'UTC' AS TIMESTAMP) \
                 + COALESCE(CAST(NULLIF(current_setting('crowdfund.clock_offset', true), '') \
                                 AS INTERVAL), INTERVAL '0 seconds') AS now",
            )
            .get_result::<Now>(conn)
            .map(|n| n.now.trunc_subsecs(6)),
        AnyConnection::Sqlite(_) => Ok(now()),
    }
}

// SQL `lower(text)`. It folds ASCII letters alike on both backends (SQLite
// folds nothing else); compare it with text lowered the same way.
diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The escape character of the patterns [`contains_pattern`] makes: give it
/// to `.escape(..)` of the LIKE that uses one.
pub const LIKE_ESCAPE: char = '\\';

/// A LIKE pattern for text that contains `needle` as typed: its `%`, `_`
/// and [`LIKE_ESCAPE`] match themselves, not any text. With `ESCAPE '\'` it
/// means the same on SQLite and PostgreSQL.
pub fn contains_pattern(needle: &str) -> String {
    let escaped = needle
        .replace(LIKE_ESCAPE, "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A new opaque, time-ordered identifier (UUIDv7) for a row.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_patterns_take_wildcards_and_the_escape_literally() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("100%"), "%100\\%%");
        assert_eq!(contains_pattern("a_b"), "%a\\_b%");
        assert_eq!(contains_pattern("a\\%"), "%a\\\\\\%%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
