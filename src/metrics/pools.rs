//! The database pools' connections, read from each pool as a scrape arrives.

use crate::db::DbPool;

pub const MAX: &str = "crowdfund_db_pool_max_connections";
pub const OPEN: &str = "crowdfund_db_pool_connections";
pub const IDLE: &str = "crowdfund_db_pool_idle_connections";
pub const IN_USE: &str = "crowdfund_db_pool_in_use_connections";

pub(super) fn describe() {
    for (name, help) in [
        (MAX, "Connections each database pool may hold."),
        (OPEN, "Connections each database pool holds open."),
        (
            IDLE,
            "Open connections of each database pool that no one has checked out.",
        ),
        (IN_USE, "Connections of each database pool checked out now."),
    ] {
        ::metrics::describe_gauge!(name, ::metrics::Unit::Count, help);
    }
}

/// The server's pools, each under the name its `pool` label carries.
#[derive(Clone, Default)]
pub struct Pools(Vec<(&'static str, DbPool)>);

impl Pools {
    pub fn add(&mut self, name: &'static str, pool: &DbPool) {
        self.0.push((name, pool.clone()));
    }

    /// Sets each pool's gauges to what it holds now (no database work).
    pub fn sample(&self) {
        for (name, pool) in &self.0 {
            let usage = pool.usage();
            ::metrics::gauge!(MAX, "pool" => *name).set(usage.max);
            ::metrics::gauge!(OPEN, "pool" => *name).set(usage.open);
            ::metrics::gauge!(IDLE, "pool" => *name).set(usage.idle);
            ::metrics::gauge!(IN_USE, "pool" => *name).set(usage.in_use());
        }
    }
}
