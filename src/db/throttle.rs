//! Per-client login attempt counting, in the database so every instance agrees.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::AnyConnection;

#[derive(QueryableByName)]
struct Attempts {
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Counts one attempt from `client_ip` in the window starting at `window_start`
/// and returns the count so far. One upsert, identical on both backends.
pub fn count_attempt(
    conn: &mut AnyConnection,
    client_ip: &str,
    window_start: i64,
) -> QueryResult<i32> {
    let row: Attempts = crate::db::raw::sql(
        "INSERT INTO login_throttle (client_ip, window_start, attempts) VALUES ($1, $2, 1) \
         ON CONFLICT (client_ip, window_start) \
         DO UPDATE SET attempts = login_throttle.attempts + 1 \
         RETURNING attempts",
    )
    .bind::<Text, _>(client_ip)
    .bind::<BigInt, _>(window_start)
    .get_result(conn)?;
    Ok(row.attempts)
}

/// Drops windows older than `before` so the table stays small.
pub fn prune(conn: &mut AnyConnection, before: i64) -> QueryResult<usize> {
    crate::db::raw::sql("DELETE FROM login_throttle WHERE window_start < $1")
        .bind::<BigInt, _>(before)
        .execute(conn)
}
