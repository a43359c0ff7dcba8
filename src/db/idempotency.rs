//! Saved responses of money-moving requests, per (user, Idempotency-Key).

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::schema::idempotency_keys;
use super::{write_transaction, AnyConnection, DbPool};

/// A request holding a key for longer than this is presumed dead: its
/// transaction never committed, so another attempt may take the key over.
const ABANDONED_AFTER: TimeDelta = TimeDelta::seconds(60);

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// This request holds the key now and must complete or release it,
    /// presenting this token (the claim time) to prove it still holds it.
    Acquired { token: NaiveDateTime },
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
    locked_at: NaiveDateTime,
    status_code: Option<i32>,
    response_body: Option<String>,
}

fn find(conn: &mut AnyConnection, user_id: &str, key: &str) -> QueryResult<Option<Row>> {
    idempotency_keys::table
        .find((user_id, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::locked_at,
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

/// Claims `key` for `user` in its own short transaction (committed before the
/// work starts, so a concurrent replay sees it and answers 409). On
/// PostgreSQL a claim of a key that another claim of it is taking at this
/// moment (on any server) answers [`Claim::InProgress`] at once, without
/// waiting for it.
pub fn claim(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> QueryResult<Claim> {
    let result = write_transaction(conn, |conn| {
        if !try_lock_key(conn, user_id, key)? {
            return Ok(Claim::InProgress);
        }
        // The database's clock, by which every server stamps its claims: a
        // server running fast would otherwise take another server's claim in
        // progress for an abandoned one.
        let now = super::clock(conn)?;
        let Some(row) = find(conn, user_id, key)? else {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(user_id),
                    idempotency_keys::idem_key.eq(key),
                    idempotency_keys::request_hash.eq(request_hash),
                    idempotency_keys::locked_at.eq(now),
                    idempotency_keys::created_at.eq(now),
                ))
                .execute(conn)?;
            return Ok(Claim::Acquired { token: now });
        };
        if row.request_hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        if let (Some(status), Some(body)) = (row.status_code, row.response_body) {
            return Ok(Claim::Replay {
                status: status as u16,
                body,
            });
        }
        if row.locked_at > now - ABANDONED_AFTER {
            return Ok(Claim::InProgress);
        }
        let taken = diesel::update(
            idempotency_keys::table
                .find((user_id, key))
                .filter(idempotency_keys::locked_at.eq(row.locked_at))
                .filter(idempotency_keys::status_code.is_null()),
        )
        .set(idempotency_keys::locked_at.eq(now))
        .execute(conn)?;
        Ok(if taken == 1 {
            Claim::Acquired { token: now }
        } else {
            Claim::InProgress
        })
    });
    match result {
        // Two first requests raced to insert: the loser sees the winner's key.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Claim::InProgress)
        }
        other => other,
    }
}

/// Stores the response; call it in the transaction of the work itself.
/// Returns false when this request no longer holds the key (it was presumed
/// abandoned and taken over): the caller must then roll its work back.
pub fn complete(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
    token: NaiveDateTime,
    status: u16,
    body: &str,
) -> QueryResult<bool> {
    diesel::update(
        idempotency_keys::table
            .find((user_id, key))
            .filter(idempotency_keys::locked_at.eq(token))
            .filter(idempotency_keys::status_code.is_null()),
    )
    .set((
        idempotency_keys::status_code.eq(Some(status as i32)),
        idempotency_keys::response_body.eq(Some(body)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Lets go of a key whose request failed on our side, so a retry may run.
pub fn release(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
    token: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .find((user_id, key))
            .filter(idempotency_keys::locked_at.eq(token))
            .filter(idempotency_keys::status_code.is_null()),
    )
    .execute(conn)
}

/// Releases a key whose request failed because the database went away
/// under it, from a thread of its own (the caller may still hold the dead
/// connection: a second checkout could wait on a full pool), trying every
/// second until the key would count as abandoned anyway. Until then a retry
/// is answered `idempotency_in_progress`.
pub fn release_soon(pool: &DbPool, user_id: &str, key: &str, token: NaiveDateTime) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(1);
    // By this server's own monotonic clock: the claim is at most this old.
    let give_up = std::time::Instant::now() + ABANDONED_AFTER.to_std().unwrap_or_default();
    let (pool, user_id, key) = (pool.clone(), user_id.to_string(), key.to_string());
    let attempt = move || -> anyhow::Result<usize> {
        let mut conn = pool.get()?;
        Ok(release(&mut conn, &user_id, &key, token)?)
    };
    let spawned = std::thread::Builder::new()
        .name("idempotency-release".into())
        .spawn(move || loop {
            match attempt() {
                Ok(_) => return,
                Err(e) if std::time::Instant::now() > give_up => {
                    tracing::warn!(error = %e, "gave up releasing an idempotency key; \
                        it counts as abandoned now");
                    return;
                }
                Err(_) => std::thread::sleep(EVERY),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start a thread to release an idempotency key");
    }
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
    use diesel::sql_types::{Text, Timestamp};
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = Text)]
        user_id: String,
        #[diesel(sql_type = Text)]
        idem_key: String,
    }
    let mut sorted: Vec<&BatchKey<'_>> = keys.iter().collect();
    sorted.sort_by_key(|k| (k.user_id, k.key));
    let mut claimed = HashSet::new();
    for chunk in sorted.chunks(500) {
        let mut q = super::raw::boxed(
            conn,
            format!(
            "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, locked_at, created_at) \
             VALUES {} ON CONFLICT (user_id, idem_key) DO NOTHING RETURNING user_id, idem_key",
            super::raw::value_rows(chunk.len(), 5, 1)
        ),
        );
        for k in chunk {
            q = q
                .bind::<Text, _>(k.user_id.to_string())
                .bind::<Text, _>(k.key.to_string())
                .bind::<Text, _>(k.request_hash.to_string())
                .bind::<Timestamp, _>(at)
                .bind::<Timestamp, _>(at);
        }
        let rows: Vec<Claimed> = q.load(conn)?;
        claimed.extend(rows.into_iter().map(|r| (r.user_id, r.idem_key)));
    }
    Ok(claimed)
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
        // Vanished meanwhile (released by a failed request): ask for a retry.
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

/// Stores the responses of keys claimed by [`claim_many`] in this transaction.
pub fn complete_many(
    conn: &mut AnyConnection,
    responses: &[(&str, &str, u16, &str)],
) -> QueryResult<()> {
    use diesel::sql_types::{Integer, Text};
    for chunk in responses.chunks(500) {
        let mut q = super::raw::boxed(conn, format!(
            "WITH answer (user_id, idem_key, status_code, response_body) AS (VALUES {}) \
             UPDATE idempotency_keys SET status_code = answer.status_code, \
             response_body = answer.response_body FROM answer \
             WHERE idempotency_keys.user_id = answer.user_id AND idempotency_keys.idem_key = answer.idem_key",
            super::raw::value_rows(chunk.len(), 4, 1)
        ));
        for (user_id, key, status, body) in chunk {
            q = q
                .bind::<Text, _>(user_id.to_string())
                .bind::<Text, _>(key.to_string())
                .bind::<Integer, _>(i32::from(*status))
                .bind::<Text, _>(body.to_string());
        }
        q.execute(conn)?;
    }
    Ok(())
}
