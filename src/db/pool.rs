//! The r2d2 pool and its manager, which picks the backend by URL scheme.

use std::time::Duration;

use diesel::r2d2::{self, R2D2Connection};

use super::connection::{establish_postgres, establish_sqlite};
use super::{AnyConnection, DatabaseUrl};

pub type DbPool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    timeouts: Timeouts,
}

/// PostgreSQL's `lock_timeout` and `statement_timeout` for a pool's
/// connections: a request stuck behind a lock, or a statement that runs
/// away, fails (503 `database_busy`) instead of hanging. Zero: no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeouts {
    pub lock: Duration,
    pub statement: Duration,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, timeouts: Timeouts) -> Self {
        Self { url, timeouts }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => establish_postgres(url, &self.timeouts),
            DatabaseUrl::Sqlite(path) => establish_sqlite(path),
        }
        .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Builds a pool whose statements run without time limits (commands, tests).
/// For a SQLite file, creates its folder first.
pub fn build_pool(url: &DatabaseUrl, size: u32) -> Result<DbPool, anyhow::Error> {
    build_pool_with(url, size, Timeouts::default())
}

/// Builds a pool whose PostgreSQL connections have these time limits.
pub fn build_pool_with(
    url: &DatabaseUrl,
    size: u32,
    timeouts: Timeouts,
) -> Result<DbPool, anyhow::Error> {
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
    }
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(10))
        .test_on_check_out(false)
        .build(ConnectionManager::new(url.clone(), timeouts))?;
    Ok(pool)
}
