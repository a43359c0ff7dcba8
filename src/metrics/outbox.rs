//! The outbox's backlog, read from the database as a scrape arrives, on a
//! connection of its own with tight time limits: a scrape never takes a
//! connection from requests or the write path, never waits for one, and
//! never runs long.

use std::time::Duration;

use crate::db::DbPool;
use crate::mail::backlog;

pub const BACKLOG: &str = "crowdfund_outbox_backlog_messages";
pub const OLDEST_AGE: &str = "crowdfund_outbox_oldest_age_seconds";
pub const SAMPLED: &str = "crowdfund_outbox_sample_success";

/// How long a scrape waits for the metrics connection (another scrape may
/// hold it); past it the backlog is not read this time.
const CHECKOUT_WAIT: Duration = Duration::from_millis(100);
/// How long the whole reading may take before the scrape answers without it.
pub(super) const READ_WITHIN: Duration = Duration::from_secs(2);

pub(super) fn describe() {
    ::metrics::describe_gauge!(
        BACKLOG,
        ::metrics::Unit::Count,
        "Emails in the outbox neither sent nor given up (as of the last successful reading)."
    );
    ::metrics::describe_gauge!(
        OLDEST_AGE,
        ::metrics::Unit::Seconds,
        "Age of the oldest email waiting in the outbox; 0 when none waits (as of the last \
         successful reading)."
    );
    ::metrics::describe_gauge!(
        SAMPLED,
        "1 when this scrape read the outbox backlog, 0 when it was skipped (database busy, \
         slow or away) and the backlog gauges hold an older reading."
    );
}

/// Reads the backlog on `pool` (blocking: run it off the async workers)
/// and sets the gauges; on any trouble only marks the reading as skipped.
pub fn sample(pool: &DbPool) {
    let read = pool
        .get_within(CHECKOUT_WAIT)
        .map_err(anyhow::Error::from)
        .and_then(|mut conn| backlog::backlog(&mut conn).map_err(anyhow::Error::from));
    match read {
        Ok(b) => {
            ::metrics::gauge!(BACKLOG).set(b.messages as f64);
            ::metrics::gauge!(OLDEST_AGE).set(b.oldest_age_secs);
            skipped(false);
        }
        Err(e) => {
            tracing::debug!(error = %e, "metrics: outbox backlog not read");
            skipped(true);
        }
    }
}

/// Marks this scrape's reading as done or skipped.
pub(super) fn skipped(skipped: bool) {
    ::metrics::gauge!(SAMPLED).set(if skipped { 0.0 } else { 1.0 });
}
