//! What a pool has seen of its database: reachable, or unreachable since a
//! moment, and why. Pools use it to stop making requests wait out the full
//! checkout timeout while the database is known to be away, and it writes
//! the log lines an operator reads during an outage: one when the database
//! goes away, one every [`REMIND_EVERY`] while it stays away, one when it
//! is back.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REMIND_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    /// Since when connection attempts fail, and when that was last logged.
    outage: Option<Outage>,
}

#[derive(Debug)]
struct Outage {
    since: Instant,
    logged: Instant,
}

impl Health {
    /// A connection was made.
    pub fn connected(&self) {
        let Ok(mut state) = self.0.lock() else { return };
        if let Some(outage) = state.outage.take() {
            tracing::info!(
                unreachable_for_ms = outage.since.elapsed().as_millis() as u64,
                "the database is reachable again"
            );
        }
    }

    /// A connection could not be made.
    pub fn failed(&self, error: &str) {
        let Ok(mut state) = self.0.lock() else { return };
        let now = Instant::now();
        match &mut state.outage {
            None => {
                tracing::warn!(
                    error,
                    "the database cannot be reached; requests that need it \
                    are answered 503 database_unavailable, reconnecting in the background"
                );
                state.outage = Some(Outage {
                    since: now,
                    logged: now,
                });
            }
            Some(outage) if now.duration_since(outage.logged) >= REMIND_EVERY => {
                tracing::warn!(
                    error,
                    unreachable_for_s = now.duration_since(outage.since).as_secs(),
                    "the database is still unreachable"
                );
                outage.logged = now;
            }
            Some(_) => {}
        }
    }

    /// Whether the last attempt to connect failed.
    pub fn unreachable(&self) -> bool {
        self.0.lock().map_or(true, |state| state.outage.is_some())
    }
}
