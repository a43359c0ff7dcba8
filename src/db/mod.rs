//! Persistence: one codebase over SQLite (embedded default) and PostgreSQL.
//!
//! Everything that differs between the two dialects is decided here, by a
//! `match` on [`AnyConnection`]; the rest of the code sees one connection type.

mod connection;
mod migrations;
mod pool;
pub mod schema;
pub mod throttle;
pub mod tokens;
mod transaction;
mod url;
pub mod users;

pub use connection::AnyConnection;
pub use migrations::run_migrations;
pub use pool::{build_pool, ConnectionManager, DbPool, PooledConn};
pub use transaction::write_transaction;
pub use url::{DatabaseUrl, DatabaseUrlError};

/// The current time, truncated to microseconds (what both backends store), UTC.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A new opaque, time-ordered identifier (UUIDv7) for a row.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
