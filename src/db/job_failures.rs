//! The `job_failures` table: background work that failed for one subject
//! (a round that would not refund, ...). The subject is held back for a
//! while, doubling with each failure, so the jobs go on with the others.
//! Shared by every instance.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::schema::job_failures;
use super::AnyConnection;

/// The sweeper's closing of a round at its deadline.
pub const CLOSE: &str = "close_offering";
/// The sweeper's refund of a failed or cancelled round.
pub const REFUND: &str = "refund_offering";

/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: TimeDelta = TimeDelta::seconds(30);
pub const MAX_BACKOFF: TimeDelta = TimeDelta::hours(1);

/// How long to wait after the `attempts`-th failure in a row.
pub fn backoff(attempts: i32) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).clamp(0, 16) as u32;
    (FIRST_BACKOFF * 2i32.pow(doublings)).min(MAX_BACKOFF)
}

/// Records a failure of `job` on `subject`; returns the failures in a row.
pub fn record(
    conn: &mut AnyConnection,
    job: &str,
    subject: &str,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let previous: Option<i32> = job_failures::table
        .find((job, subject))
        .select(job_failures::attempts)
        .first(conn)
        .optional()?;
    let attempts = previous.unwrap_or(0).saturating_add(1);
    let error: String = error.chars().take(1000).collect();
    super::raw::sql(
        "INSERT INTO job_failures (job, subject_id, attempts, last_error, failed_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (job, subject_id) DO UPDATE SET attempts = excluded.attempts, \
         last_error = excluded.last_error, failed_at = excluded.failed_at, \
         next_attempt_at = excluded.next_attempt_at",
    )
    .bind::<Text, _>(job)
    .bind::<Text, _>(subject)
    .bind::<Integer, _>(attempts)
    .bind::<Text, _>(error)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(now + backoff(attempts))
    .execute(conn)?;
    Ok(attempts)
}

/// Forgets the failures of `job` on `subject` (it succeeded).
pub fn clear(conn: &mut AnyConnection, job: &str, subject: &str) -> QueryResult<usize> {
    diesel::delete(job_failures::table.find((job, subject))).execute(conn)
}

/// The query of [`held_back_ids`].
pub type HeldBack = diesel::dsl::Select<
    diesel::dsl::Filter<
        job_failures::table,
        diesel::dsl::And<
            diesel::dsl::Eq<job_failures::job, &'static str>,
            diesel::dsl::Gt<job_failures::next_attempt_at, NaiveDateTime>,
        >,
    >,
    job_failures::subject_id,
>;

/// The subjects of `job` held back at `now`, as a subquery for the queries
/// that pick a job's work (`id.ne_all(...)` is not portable: `not(eq_any)`).
pub fn held_back_ids(job: &'static str, now: NaiveDateTime) -> HeldBack {
    job_failures::table
        .filter(
            job_failures::job
                .eq(job)
                .and(job_failures::next_attempt_at.gt(now)),
        )
        .select(job_failures::subject_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), TimeDelta::seconds(30));
        assert_eq!(backoff(2), TimeDelta::seconds(60));
        assert_eq!(backoff(4), TimeDelta::seconds(240));
        assert_eq!(backoff(100), TimeDelta::hours(1));
    }
}
