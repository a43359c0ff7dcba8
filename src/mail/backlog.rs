//! The outbox's backlog: how many messages wait to be sent, and since when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::AnyConnection;

/// Messages neither sent nor given up, and the oldest one's age.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backlog {
    pub messages: i64,
    /// Seconds since the oldest waiting message was queued; zero when none waits.
    pub oldest_age_secs: f64,
}

/// Reads the backlog. One statement over the rows the due index
/// (`outbox_due_idx`: unsent, unfailed) covers: its cost grows with the
/// backlog, never with the sent history.
pub fn backlog(conn: &mut AnyConnection) -> QueryResult<Backlog> {
    let (messages, oldest): (i64, Option<NaiveDateTime>) = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::created_at),
        ))
        .first(conn)?;
    let oldest_age_secs = match oldest {
        Some(oldest) => {
            let now = crate::db::clock(conn)?;
            (now - oldest).num_milliseconds().max(0) as f64 / 1000.0
        }
        None => 0.0,
    };
    Ok(Backlog {
        messages,
        oldest_age_secs,
    })
}
