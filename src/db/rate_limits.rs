//! Fixed-window hit counters for the rate limits, in the database so every
//! instance counts against the same numbers.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::AnyConnection;

/// Longest window a limit may have: counts older than this are pruned.
pub const MAX_WINDOW_SECS: i64 = 86_400;

#[derive(QueryableByName)]
struct Hits {
    #[diesel(sql_type = Integer)]
    hits: i32,
}

/// Counts one hit on `bucket` in the window starting at `window_start` and
/// returns the count so far. One upsert, identical on both backends.
pub fn hit(conn: &mut AnyConnection, bucket: &str, window_start: i64) -> QueryResult<i32> {
    let row: Hits = crate::db::raw::sql(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) \
         DO UPDATE SET hits = rate_limits.hits + 1 \
         RETURNING hits",
    )
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(window_start)
    .get_result(conn)?;
    Ok(row.hits)
}

/// Drops windows that started before `before` (epoch seconds).
pub fn prune(conn: &mut AnyConnection, before: i64) -> QueryResult<usize> {
    crate::db::raw::sql("DELETE FROM rate_limits WHERE window_start < $1")
        .bind::<BigInt, _>(before)
        .execute(conn)
}
