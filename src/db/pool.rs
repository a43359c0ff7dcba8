//! The connection pool: r2d2 over a manager that picks the backend by URL
//! scheme, and knows whether the database can be reached at all.

use std::time::{Duration, Instant};

use diesel::r2d2::{self, R2D2Connection};

use super::connection::{establish_postgres, establish_sqlite, Commits, SQLITE_WRITE_PATH_PRAGMAS};
use super::health::Health;
use super::{AnyConnection, DatabaseUrl};

pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// How long a checkout may wait for a connection to come free.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// While the database cannot be reached, a checkout gives up after this
/// long instead: the request is answered 503 at once rather than after
/// [`CHECKOUT_TIMEOUT`]. The pool keeps reconnecting in the background.
const CHECKOUT_WHILE_UNREACHABLE: Duration = Duration::from_millis(250);

/// A pool of connections to one database; cheap to clone.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<ConnectionManager>,
    manager: ConnectionManager,
    health: Health,
}

/// A connection could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    #[error("no database connection came free in time")]
    Exhausted,
}

impl DbPool {
    /// A connection, waiting while all are in use, but not while the
    /// database is known to be away.
    pub fn get(&self) -> Result<PooledConn, CheckoutError> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let error = match self.pool.get_timeout(left.min(CHECKOUT_WHILE_UNREACHABLE)) {
                Ok(conn) => return Ok(conn),
                Err(error) => error,
            };
            if self.health.unreachable() {
                return Err(CheckoutError::Unreachable(error.to_string()));
            }
            if Instant::now() >= deadline {
                return Err(CheckoutError::Exhausted);
            }
        }
    }

    /// A connection if one comes free within `wait`: for work that should
    /// rather be skipped than queue (a metrics scrape).
    pub fn get_within(&self, wait: Duration) -> Result<PooledConn, CheckoutError> {
        self.pool.get_timeout(wait).map_err(|error| {
            if self.health.unreachable() {
                CheckoutError::Unreachable(error.to_string())
            } else {
                CheckoutError::Exhausted
            }
        })
    }

    /// How many connections the pool may hold, holds, and holds idle now.
    pub fn usage(&self) -> PoolUsage {
        let state = self.pool.state();
        PoolUsage {
            max: self.pool.max_size(),
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    /// After a request on `conn` failed as if the database were away: if
    /// the connection is dead, puts a new one in its place (the pool keeps
    /// the slot). For pools that do not test connections on checkout.
    pub fn heal(&self, conn: &mut PooledConn) {
        use r2d2::ManageConnection;
        let conn: &mut AnyConnection = conn;
        if conn.ping().is_ok() {
            return;
        }
        if let Ok(fresh) = self.manager.connect() {
            *conn = fresh;
        }
    }
}

/// A pool's connections at one moment ([`DbPool::usage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

impl PoolUsage {
    /// Connections checked out now.
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    timeouts: Timeouts,
    commits: Commits,
    purpose: Purpose,
    health: Health,
}

/// PostgreSQL's `lock_timeout` and `statement_timeout` for a pool's
/// connections: a request stuck behind a lock, or a statement that runs
/// away, fails (503 `database_busy`) instead of hanging. Zero: no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeouts {
    pub lock: Duration,
    pub statement: Duration,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        let result = match &self.url {
            DatabaseUrl::Postgres(url) => establish_postgres(url, &self.timeouts, self.commits),
            DatabaseUrl::Sqlite(path) => {
                establish_sqlite(path, self.commits).and_then(|mut conn| {
                    if self.purpose == Purpose::WritePath {
                        use diesel::connection::SimpleConnection;
                        conn.batch_execute(SQLITE_WRITE_PATH_PRAGMAS)
                            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                    }
                    Ok(conn)
                })
            }
        };
        match &result {
            Ok(_) => self.health.connected(),
            Err(e) => self.health.failed(&e.to_string()),
        }
        result.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Builds a pool whose statements run without time limits (commands, tests).
pub fn build_pool(url: &DatabaseUrl, size: u32) -> Result<DbPool, anyhow::Error> {
    build_pool_with(url, size, Timeouts::default())
}

/// Builds a pool whose PostgreSQL connections have these time limits.
///
/// PostgreSQL connections are checked (`SELECT 1`) as they leave the pool:
/// one that died while idle (the server restarted, an administrator ended
/// it) is replaced rather than handed to a request. The pool opens its
/// connections in the background: building it does not fail, nor wait,
/// while the database is down (start-up waits for it first, see
/// [`super::wait_for_database`]).
pub fn build_pool_with(
    url: &DatabaseUrl,
    size: u32,
    timeouts: Timeouts,
) -> Result<DbPool, anyhow::Error> {
    build(url, size, timeouts, Commits::Durable, Purpose::General)
}

/// A pool whose connections are not tested on checkout: for the write
/// pipeline, which checks out once per batch and cannot spare a round trip
/// each time. Its user calls [`DbPool::heal`] after a failure instead.
/// On SQLite its commits never checkpoint the write-ahead log: whoever
/// builds it runs [`super::sqlite_file::spawn_checkpointer`] beside it.
pub fn build_pool_untested(
    url: &DatabaseUrl,
    size: u32,
    timeouts: Timeouts,
) -> Result<DbPool, anyhow::Error> {
    build(url, size, timeouts, Commits::Durable, Purpose::WritePath)
}

/// A pool whose commits may return before they are on disk (see
/// [`Commits::Relaxed`]): for the mail relay's claims and "sent" marks,
/// one commit per message, whose loss in a machine crash means at most
/// that a message is sent again under the same Message-ID.
pub fn build_pool_relaxed(
    url: &DatabaseUrl,
    size: u32,
    timeouts: Timeouts,
) -> Result<DbPool, anyhow::Error> {
    build(url, size, timeouts, Commits::Relaxed, Purpose::General)
}

/// What a pool's connections serve.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Purpose {
    /// Anything: tested on checkout (PostgreSQL), checkpointing at commit
    /// as SQLite does by itself.
    General,
    /// The write pipeline (see [`build_pool_untested`]).
    WritePath,
}

fn build(
    url: &DatabaseUrl,
    size: u32,
    timeouts: Timeouts,
    commits: Commits,
    purpose: Purpose,
) -> Result<DbPool, anyhow::Error> {
    let health = Health::default();
    let manager = ConnectionManager {
        url: url.clone(),
        timeouts,
        commits,
        purpose,
        health: health.clone(),
    };
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(CHECKOUT_TIMEOUT)
        .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)) && purpose == Purpose::General)
        // Failed connection attempts are logged by `Health`, once per outage.
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager.clone());
    Ok(DbPool {
        pool,
        manager,
        health,
    })
}
