//! Which sessions have ended, as this server knows it: the access-token
//! check consults it on every request, without a database round trip.
//!
//! A background job polls the `sessions` table every second or so for
//! sessions revoked since its last poll (with an overlap that absorbs late
//! commits), both sides by the database's clock (so the servers' own clocks
//! may disagree without harm), so a revocation made on any
//! server is honoured by every server within one poll. Revocations made
//! here are noted at once. A session is forgotten once every access token
//! it could have had has expired.
//!
//! If polling fails for longer than the allowed staleness, the check
//! refuses rather than accept tokens it can no longer vouch for.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::{sessions, AnyConnection};

/// How far back each poll looks beyond the previous one.
const OVERLAP: TimeDelta = TimeDelta::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The session has ended.
    Revoked,
    /// The list has not been refreshed for too long to trust.
    Stale,
}

pub struct Revocations {
    state: RwLock<State>,
    /// How long after a revocation a token of the session could still be
    /// unexpired: the access-token lifetime, plus leeway.
    remember: TimeDelta,
    max_staleness: Duration,
}

#[derive(Default)]
struct State {
    revoked: HashMap<String, NaiveDateTime>,
    /// Where the last successful poll started, by the database's clock.
    polled_from: Option<NaiveDateTime>,
    fresh_at: Option<Instant>,
}

impl Revocations {
    pub fn new(access_token_ttl: Duration, max_staleness: Duration) -> Self {
        let ttl = TimeDelta::from_std(access_token_ttl).unwrap_or(TimeDelta::days(1));
        Self {
            state: RwLock::new(State::default()),
            remember: ttl + TimeDelta::seconds(crate::auth::jwt::LEEWAY_SECS as i64),
            max_staleness,
        }
    }

    /// Whether tokens of session `sid` may be accepted.
    pub fn check(&self, sid: &str) -> Result<(), Refusal> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        if state.revoked.contains_key(sid) {
            return Err(Refusal::Revoked);
        }
        match state.fresh_at {
            Some(at) if at.elapsed() <= self.max_staleness => Ok(()),
            _ => Err(Refusal::Stale),
        }
    }

    /// Notes sessions this server has just revoked (committed).
    pub fn note(&self, ids: &[String], at: NaiveDateTime) {
        if ids.is_empty() {
            return;
        }
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        for id in ids {
            state.revoked.insert(id.clone(), at);
        }
    }

    /// Reads the revocations made since the last poll; returns how many
    /// sessions this server now refuses.
    ///
    /// The cursor is the database's clock, which stamps every revocation
    /// (`db::sessions::revoke`): compared with this server's own clock, a
    /// server running minutes fast would start each poll after revocations
    /// that other servers had just made, and never see them.
    pub fn poll(&self, conn: &mut AnyConnection) -> diesel::QueryResult<usize> {
        let started = crate::db::clock(conn)?;
        let horizon = started - self.remember - OVERLAP;
        let since = {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            state
                .polled_from
                .map_or(horizon, |from| (from - OVERLAP).max(horizon))
        };
        let rows = sessions::revoked_since(conn, since)?;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        for row in rows {
            state.revoked.insert(row.id, row.revoked_at);
        }
        state.revoked.retain(|_, at| *at >= horizon);
        state.polled_from = Some(started);
        state.fresh_at = Some(Instant::now());
        Ok(state.revoked.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_until_the_first_poll_and_noted_sessions_always() {
        let list = Revocations::new(Duration::from_secs(900), Duration::from_secs(30));
        assert_eq!(list.check("a"), Err(Refusal::Stale));
        {
            let mut state = list.state.write().unwrap();
            state.fresh_at = Some(Instant::now());
        }
        assert_eq!(list.check("a"), Ok(()));
        list.note(&["a".to_string()], crate::db::now());
        assert_eq!(list.check("a"), Err(Refusal::Revoked));
        assert_eq!(list.check("b"), Ok(()));
    }

    #[test]
    fn goes_stale_when_polls_stop() {
        let list = Revocations::new(Duration::from_secs(900), Duration::from_millis(20));
        list.state.write().unwrap().fresh_at = Some(Instant::now());
        assert_eq!(list.check("a"), Ok(()));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(list.check("a"), Err(Refusal::Stale));
    }
}
