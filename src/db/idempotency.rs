//! Saved responses of money-moving requests, per (user, Idempotency-Key).
//!
//! One protocol for every keyed write, a single request's (the API's
//! [`claim_one`]) or a batch's (the write pipeline's [`claim_many`]): the key
//! is claimed inside the transaction of the work, and the answer saved in it
//! ([`complete_many`]), so the three commit together or not at all. A refusal
//! is an answer too (the work's own changes are rolled back to a savepoint
//! first); a failure on our side rolls everything back, the claim with it,
//! and the retry runs afresh. A claim is invisible to others until it
//! commits; a concurrent request with the same key meets it as
//! `idempotency_in_progress` (PostgreSQL: an advisory lock per key, taken
//! without waiting) or, once committed, as its answer.

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::AnyConnection;

/// A key an older release claimed in a transaction of its own and never
/// answered is presumed abandoned after this long, and taken over. (This
/// release claims inside the transaction of the work: its claims never
/// outlive it.)
const ABANDONED_AFTER: TimeDelta = TimeDelta::seconds(60);

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// This transaction holds the key now: do the work, and save its answer
    /// with [`complete_many`] before the transaction commits.
    Acquired,
    /// The first request finished: answer with its response.
    Replay { status: u16, body: String },
    /// The first request is still running.
    InProgress,
    /// The key was used with another request.
    Mismatch,
}

#[derive(Queryable)]
struct Row {
    request_hash: String,
    status_code: Option<i32>,
    response_body: Option<String>,
}

fn find(conn: &mut AnyConnection, user_id: &str, key: &str) -> QueryResult<Option<Row>> {
    idempotency_keys::table
        .find((user_id, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()
}

/// The class of the PostgreSQL advisory locks that claims take (the first
/// of the two-key form, which keeps them apart from the one-key locks of
/// migrations, refunds and the sealer); the second is a hash of the
/// (user, key) pair.
const CLAIM_LOCK_CLASS: i32 = 0x1de9;

/// On PostgreSQL, takes the transaction-scoped advisory lock of (user, key)
/// if no other transaction holds it; false when one does. Two claims of one
/// key then never meet on the key's row, where the second would wait for
/// the first's commit however long that takes (its INSERT waiting behind a
/// lock the first holds or waits for). Two different keys whose hashes
/// collide only answer 409 to a retry that comes at the same instant.
/// SQLite has one writer at a time: nothing to do.
fn try_lock_key(conn: &mut AnyConnection, user_id: &str, key: &str) -> QueryResult<bool> {
    use diesel::sql_types::{Bool, Integer, Text};
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    match conn {
        AnyConnection::Sqlite(_) => Ok(true),
        AnyConnection::Postgresql(_) => {
            super::raw::sql("SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked")
                .bind::<Integer, _>(CLAIM_LOCK_CLASS)
                // A user id has no space and a key is visible ASCII: one
                // text per pair.
                .bind::<Text, _>(format!("{user_id} {key}"))
                .get_result::<Locked>(conn)
                .map(|l| l.locked)
        }
    }
}

/// Claims one request's key inside the caller's transaction, as
/// [`claim_many`] claims a batch's: the claim, the work and its saved answer
/// commit together or not at all, so a failure on our side leaves the key
/// free for the retry, and nothing ever has to be released. On PostgreSQL a
/// claim of a key that another transaction is claiming at this moment (on
/// any server) answers [`Claim::InProgress`] at once, without waiting for it.
pub fn claim_one(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> QueryResult<Claim> {
    if !try_lock_key(conn, user_id, key)? {
        return Ok(Claim::InProgress);
    }
    // The database's clock, by which every server stamps its claims.
    let now = super::clock(conn)?;
    let batch = [BatchKey {
        user_id,
        key,
        request_hash,
    }];
    if !claim_many(conn, &batch, now)?.is_empty() {
        return Ok(Claim::Acquired);
    }
    let taken = diesel::update(
        idempotency_keys::table
            .find((user_id, key))
            .filter(idempotency_keys::request_hash.eq(request_hash))
            .filter(idempotency_keys::status_code.is_null())
            .filter(idempotency_keys::locked_at.lt(now - ABANDONED_AFTER)),
    )
    .set(idempotency_keys::locked_at.eq(now))
    .execute(conn)?;
    if taken == 1 {
        return Ok(Claim::Acquired);
    }
    existing(conn, user_id, key, request_hash)
}

/// One request's key in a group commit.
pub struct BatchKey<'a> {
    pub user_id: &'a str,
    pub key: &'a str,
    pub request_hash: &'a str,
}

/// Claims many keys inside the caller's transaction (a group commit), sorted
/// so that two batches claiming overlapping keys never deadlock. Returns the
/// (user, key) pairs this transaction inserted; the others exist already (or
/// another transaction holding them committed first: PostgreSQL waits for it).
/// The claims become visible only when the work and its responses commit
/// with them, so no claim ever outlives a failed batch.
pub fn claim_many(
    conn: &mut AnyConnection,
    keys: &[BatchKey<'_>],
    at: NaiveDateTime,
) -> QueryResult<HashSet<(String, String)>> {
    use super::prepared::{Column, Statement};
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Text)]
        user_id: String,
        #[diesel(sql_type = Text)]
        idem_key: String,
    }
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sorted: Vec<&BatchKey<'_>> = keys.iter().collect();
    sorted.sort_by_key(|k| (k.user_id, k.key));
    let rows: Vec<(&str, &str, &str)> = sorted
        .iter()
        .map(|k| (k.user_id, k.key, k.request_hash))
        .collect();
    let claimed: Vec<Claimed> = Statement::new(conn)
        .sql(
            "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, locked_at, created_at) \
             SELECT ",
        )
        .columns(&[Column::Text; 3])
        .sql(", ")
        .timestamp(at)
        .sql(", ")
        .timestamp(at)
        .from_rows(&rows)?
        .sql(" ON CONFLICT (user_id, idem_key) DO NOTHING RETURNING user_id, idem_key")
        .load(conn)?;
    Ok(claimed
        .into_iter()
        .map(|r| (r.user_id, r.idem_key))
        .collect())
}

/// Lets go of keys that [`claim_many`] claimed in this transaction, for
/// requests the batch did not run (they run in a later one).
pub fn unclaim_many(conn: &mut AnyConnection, keys: &[(&str, &str)]) -> QueryResult<()> {
    for (user_id, key) in keys {
        diesel::delete(
            idempotency_keys::table
                .find((*user_id, *key))
                .filter(idempotency_keys::status_code.is_null()),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// What a key that was not claimed holds: the answer for a request that
/// arrives with it.
pub fn existing(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> QueryResult<Claim> {
    Ok(match find(conn, user_id, key)? {
        // Vanished meanwhile (its claim rolled back): ask for a retry.
        None => Claim::InProgress,
        Some(row) if row.request_hash != request_hash => Claim::Mismatch,
        Some(Row {
            status_code: Some(status),
            response_body: Some(body),
            ..
        }) => Claim::Replay {
            status: status as u16,
            body,
        },
        Some(_) => Claim::InProgress,
    })
}

/// Stores the responses of keys claimed by [`claim_many`] or [`claim_one`]
/// in this transaction.
pub fn complete_many(
    conn: &mut AnyConnection,
    responses: &[(&str, &str, u16, &str)],
) -> QueryResult<()> {
    use super::prepared::{Column, Statement};
    if responses.is_empty() {
        return Ok(());
    }
    Statement::new(conn)
        .planned_each_run()
        .sql("WITH answer (user_id, idem_key, status_code, response_body) AS (")
        .rows(
            &[Column::Text, Column::Text, Column::Integer, Column::Text],
            responses,
        )?
        .sql(
            ") UPDATE idempotency_keys SET status_code = answer.status_code, \
             response_body = answer.response_body FROM answer \
             WHERE idempotency_keys.user_id = answer.user_id \
             AND idempotency_keys.idem_key = answer.idem_key",
        )
        .execute(conn)?;
    Ok(())
}
