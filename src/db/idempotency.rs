//! Saved responses of money-moving requests, per (user, Idempotency-Key).

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::schema::idempotency_keys;
use super::{now, write_transaction, AnyConnection};

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

/// Claims `key` for `user` in its own short transaction (committed before the
/// work starts, so a concurrent replay sees it and answers 409).
pub fn claim(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> QueryResult<Claim> {
    let now = now();
    let result = write_transaction(conn, |conn| {
        let existing: Option<Row> = idempotency_keys::table
            .find((user_id, key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::locked_at,
                idempotency_keys::status_code,
                idempotency_keys::response_body,
            ))
            .first(conn)
            .optional()?;
        let Some(row) = existing else {
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
