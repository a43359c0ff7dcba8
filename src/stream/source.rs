//! The thread that learns of committed changes and publishes their figures.
//!
//! On PostgreSQL it holds one connection that `LISTEN`s on
//! `offering_progress`: the trigger of migration 000008 notifies it at
//! commit, from whichever server committed, with the offering's id and
//! numbers. On SQLite, where all writers are this process's, it reads the
//! offerings whose change number is past the last one it saw (numbers there
//! are taken in commit order). Either way it then reads the figures of the
//! changed offerings and publishes them, at most once per event interval:
//! however many batches a hot offering commits meanwhile, its streams get
//! one event with the latest figures.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::RunQueryDsl;

use crate::db::{build_pool_with, progress, AnyConnection, DatabaseUrl, DbPool, Timeouts};
use crate::jobs::{spawn_periodic, Shutdown, Threads};
use crate::services::views::ProgressEvent;

use super::Hub;

/// How often the listening connection is read for notifications (or, on
/// SQLite, the table for new change numbers).
const POLL: Duration = Duration::from_millis(20);
/// How often an idle listening connection is checked to be alive: a
/// notification sent while it was dead is lost, so a dead one is replaced
/// and what changed meanwhile is read from the table.
const PING_EVERY: Duration = Duration::from_secs(5);

/// Starts the source thread of `hub` on a connection of its own.
pub fn spawn(
    url: &DatabaseUrl,
    timeouts: Timeouts,
    hub: Hub,
    shutdown: Shutdown,
    threads: &mut Threads,
) -> anyhow::Result<()> {
    let pool = build_pool_with(url, 1, timeouts)
        .context("cannot open the database for the live progress streams")?;
    let mut source = Source {
        postgres: matches!(url, DatabaseUrl::Postgres(_)),
        pool,
        hub,
        listening: None,
        last_seen: None,
        pending: HashMap::new(),
        last_publish: None,
        last_ping: Instant::now(),
    };
    spawn_periodic("progress-stream", POLL, shutdown, threads, move || {
        let result = source.tick();
        if result.is_err() {
            // Listen again on a new connection, and catch up from the table.
            source.listening = None;
        }
        result
    })?;
    Ok(())
}

struct Source {
    postgres: bool,
    pool: DbPool,
    hub: Hub,
    /// PostgreSQL: the connection that `LISTEN`s.
    listening: Option<crate::db::PooledConn>,
    /// The highest change number seen.
    last_seen: Option<i64>,
    /// Offerings changed and not yet published, with when this server
    /// learned of their first unpublished change.
    pending: HashMap<String, Instant>,
    last_publish: Option<Instant>,
    last_ping: Instant,
}

impl Source {
    fn tick(&mut self) -> anyhow::Result<()> {
        if self.postgres {
            self.collect_notifications()?;
        } else if self.hub.has_listeners() {
            self.collect_from_table()?;
        }
        let interval = self.hub.settings().event_interval;
        let due = self.last_publish.is_none_or(|at| at.elapsed() >= interval);
        if !self.pending.is_empty() && due {
            self.publish()?;
        }
        Ok(())
    }

    /// PostgreSQL: drains the notifications received (always, so that they
    /// never pile up in the database's queue, listeners or not).
    fn collect_notifications(&mut self) -> anyhow::Result<()> {
        if self.listening.is_none() {
            let mut conn = self.pool.get()?;
            diesel::sql_query("LISTEN offering_progress").execute(&mut *conn)?;
            // Changes committed while nobody here listened.
            if let Some(after) = self.last_seen {
                let (ids, last) = progress::changed_after(&mut conn, after)?;
                self.mark(ids, last);
            } else {
                self.last_seen = Some(progress::last_change(&mut conn)?);
            }
            self.listening = Some(conn);
            self.last_ping = Instant::now();
        }
        let Some(conn) = self.listening.as_mut() else {
            return Ok(());
        };
        let AnyConnection::Postgresql(pg) = &mut **conn else {
            return Ok(());
        };
        let mut changed = Vec::new();
        let mut last = self.last_seen.unwrap_or(0);
        for notification in pg.notifications_iter() {
            let notification = notification?;
            // '<id> <version> <change_seq>'
            let mut parts = notification.payload.split(' ');
            if let (Some(id), Some(_), Some(seq)) = (parts.next(), parts.next(), parts.next()) {
                last = last.max(seq.parse().unwrap_or(0));
                changed.push(id.to_string());
            }
        }
        if changed.is_empty() && self.last_ping.elapsed() >= PING_EVERY {
            diesel::sql_query("SELECT 1").execute(&mut **conn)?;
            self.last_ping = Instant::now();
        }
        self.mark(changed, last);
        Ok(())
    }

    /// SQLite: the offerings whose change number is past the last seen.
    fn collect_from_table(&mut self) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        let after = match self.last_seen {
            Some(seq) => seq,
            None => progress::last_change(&mut conn)?,
        };
        let (ids, last) = progress::changed_after(&mut conn, after)?;
        self.mark(ids, last);
        Ok(())
    }

    fn mark(&mut self, ids: Vec<String>, last_seen: i64) {
        let now = Instant::now();
        for id in ids {
            self.pending.entry(id).or_insert(now);
        }
        self.last_seen = Some(self.last_seen.unwrap_or(0).max(last_seen));
    }

    /// Reads the pending offerings' figures and hands them to the hub.
    fn publish(&mut self) -> anyhow::Result<()> {
        if !self.hub.has_listeners() {
            self.pending.clear();
            return Ok(());
        }
        let ids: Vec<String> = self.pending.keys().cloned().collect();
        let rows = match self.listening.as_mut() {
            Some(conn) => progress::read(conn, &ids)?,
            None => progress::read(&mut *self.pool.get()?, &ids)?,
        };
        let now = Instant::now();
        for event in ProgressEvent::all(rows) {
            if let Some(since) = self.pending.get(&event.offering_id) {
                crate::metrics::stream_event_latency(now.duration_since(*since));
            }
            self.hub.publish(event);
        }
        self.pending.clear();
        self.last_publish = Some(now);
        Ok(())
    }
}
