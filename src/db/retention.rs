//! Pruning what only needs keeping for a while: answered Idempotency-Keys,
//! sent emails, the bank's raw notifications, rate-limit counts and the
//! sign-in records of addresses not seen for a long time, abandoned
//! uploads. In bounded batches, each
//! its own short transaction, so pruning never holds a lock for long; safe
//! on every instance at once (a row deleted by one is simply not found by
//! the others). The ledger, the audit log and everything money depends on
//! are never pruned.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::Timestamp;
use serde::Serialize;

use super::{raw, write_transaction, AnyConnection};

/// Rows per DELETE.
pub const BATCH: i64 = 1_000;
/// Batches per table per run: a large backlog is worked off over several runs.
const MAX_BATCHES: usize = 100;

/// How long each kind of row is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub idempotency_keys: Duration,
    pub sent_emails: Duration,
    pub bank_events: Duration,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Pruned {
    pub idempotency_keys: usize,
    pub sent_emails: usize,
    pub bank_events: usize,
    pub rate_limit_windows: usize,
    pub sign_in_addresses: usize,
    /// Uploads that nothing names (refused, dropped, or cut off by a crash).
    pub abandoned_files: usize,
}

/// An upload that no document version names this long after it started is
/// abandoned: no upload takes a day.
pub const ABANDONED_FILE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Rate-limit windows are dropped this long after they started (twice the
/// longest window a limit may have).
const RATE_LIMIT_KEEP: i64 = 2 * super::rate_limits::MAX_WINDOW_SECS;
/// An address's failures, lock and "has signed in from here" are forgotten
/// after this long without a sign-in attempt from it.
const SIGN_IN_ADDRESS_KEEP: Duration = Duration::from_secs(90 * 24 * 3600);

/// What is pruned: table, key columns, and the time column that ages it,
/// with an extra condition.
struct Prunable {
    table: &'static str,
    key: &'static str,
    aged_by: &'static str,
    only: &'static str,
}

/// Only answered keys: a key without its answer belongs to a request still
/// running (or to a server killed mid-request, whose retry takes the key
/// over), and forgetting it would let a retry run beside the first attempt.
const IDEMPOTENCY_KEYS: Prunable = Prunable {
    table: "idempotency_keys",
    key: "(user_id, idem_key)",
    aged_by: "created_at",
    only: "status_code IS NOT NULL",
};
const SENT_EMAILS: Prunable = Prunable {
    table: "outbox",
    key: "id",
    aged_by: "sent_at",
    only: "sent_at IS NOT NULL",
};
const SIGN_IN_ADDRESSES: Prunable = Prunable {
    table: "sign_in_addresses",
    key: "(email, client_ip)",
    aged_by: "COALESCE(last_failure_at, last_success_at)",
    only: "(last_success_at IS NULL OR last_success_at < $1)",
};
/// Only notifications that matched what they quoted: one that went to
/// suspense or to the unreconciled movements (or left an investor owing) is
/// the evidence an operator resolves it with, and is kept.
const BANK_EVENTS: Prunable = Prunable {
    table: "bank_events",
    key: "bank_txn_id",
    aged_by: "received_at",
    only: "outcome IN ('credited', 'paid', 'returned', 'duplicate')",
};

impl Prunable {
    /// One DELETE of at most [`BATCH`] rows older than `$1`, oldest first.
    fn statement(&self) -> String {
        let Prunable {
            table,
            key,
            aged_by,
            only,
        } = self;
        let columns = key.trim_matches(|c| c == '(' || c == ')');
        format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {columns} FROM {table} \
             WHERE {only} AND {aged_by} < $1 ORDER BY {aged_by} LIMIT {BATCH})"
        )
    }
}

fn cutoff(now: NaiveDateTime, keep: Duration) -> NaiveDateTime {
    now - TimeDelta::from_std(keep).unwrap_or(TimeDelta::MAX / 2)
}

/// Deletes, batch by batch, what `statement` matches before `before`.
fn prune_table(
    conn: &mut AnyConnection,
    what: &Prunable,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    let statement = what.statement();
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let deleted = write_transaction(conn, |conn| {
            raw::sql(statement.as_str())
                .bind::<Timestamp, _>(before)
                .execute(conn)
        })?;
        total += deleted;
        if deleted < BATCH as usize {
            break;
        }
    }
    Ok(total)
}

/// Prunes every kind of row past its retention at `now`.
pub fn prune(
    conn: &mut AnyConnection,
    retention: &Retention,
    now: NaiveDateTime,
) -> QueryResult<Pruned> {
    Ok(Pruned {
        idempotency_keys: prune_table(
            conn,
            &IDEMPOTENCY_KEYS,
            cutoff(now, retention.idempotency_keys),
        )?,
        sent_emails: prune_table(conn, &SENT_EMAILS, cutoff(now, retention.sent_emails))?,
        bank_events: prune_table(conn, &BANK_EVENTS, cutoff(now, retention.bank_events))?,
        rate_limit_windows: write_transaction(conn, |conn| {
            super::rate_limits::prune(conn, now.and_utc().timestamp() - RATE_LIMIT_KEEP)
        })?,
        sign_in_addresses: prune_table(
            conn,
            &SIGN_IN_ADDRESSES,
            cutoff(now, SIGN_IN_ADDRESS_KEEP),
        )?,
        abandoned_files: prune_abandoned_files(conn, cutoff(now, ABANDONED_FILE_AFTER))?,
    })
}

/// Deletes abandoned uploads kept in the database, a file per transaction
/// (a file's chunks can be many megabytes); those in object storage are
/// pruned by `storage::prune_abandoned_objects`.
fn prune_abandoned_files(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    /// Files per run: the rest wait for the next.
    const FILES_PER_RUN: i64 = 100;
    let ids = super::files::abandoned(conn, crate::storage::DATABASE, before, FILES_PER_RUN)?;
    for id in &ids {
        super::files::delete(conn, id)?;
    }
    Ok(ids.len())
}
