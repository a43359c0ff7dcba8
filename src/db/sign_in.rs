//! Failed sign-ins and the locks they earn: per (email, client address) in
//! `sign_in_addresses`, which also remembers the addresses an account has
//! signed in from, and per email from any address in `sign_in_emails`. Both
//! are keyed by the email as typed, whether or not an account has it.
//! Transactions touch a user's row (if any) first, then the address's
//! record, then the email's, so that they never wait on each other in a
//! cycle.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::schema::{sign_in_addresses as t, sign_in_emails as e};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct SignInAddress {
    pub failures: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
}

pub fn find(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
) -> QueryResult<Option<SignInAddress>> {
    t::table
        .find((email, client_ip))
        .select(SignInAddress::as_select())
        .first(conn)
        .optional()
}

/// Until when sign-in to `email` is locked for addresses it has not signed
/// in from before.
pub fn email_locked_until(
    conn: &mut AnyConnection,
    email: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    e::table
        .find(email)
        .select(e::locked_until)
        .first(conn)
        .optional()
        .map(Option::flatten)
}

#[derive(QueryableByName)]
struct Failures {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    failures: i32,
}

/// Counts one failure from `client_ip`; returns the failures in a row from it.
pub fn record_failure(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let row: Failures = crate::db::raw::sql(
        "INSERT INTO sign_in_addresses (email, client_ip, failures, last_failure_at) \
         VALUES ($1, $2, 1, $3) \
         ON CONFLICT (email, client_ip) DO UPDATE \
         SET failures = sign_in_addresses.failures + 1, last_failure_at = excluded.last_failure_at \
         RETURNING failures",
    )
    .bind::<Text, _>(email)
    .bind::<Text, _>(client_ip)
    .bind::<Timestamp, _>(now)
    .get_result(conn)?;
    Ok(row.failures)
}

/// Counts one failure for `email` from any address; returns the failures in a row.
pub fn record_email_failure(
    conn: &mut AnyConnection,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let row: Failures = crate::db::raw::sql(
        "INSERT INTO sign_in_emails (email, failures, last_failure_at) VALUES ($1, 1, $2) \
         ON CONFLICT (email) DO UPDATE \
         SET failures = sign_in_emails.failures + 1, last_failure_at = excluded.last_failure_at \
         RETURNING failures",
    )
    .bind::<Text, _>(email)
    .bind::<Timestamp, _>(now)
    .get_result(conn)?;
    Ok(row.failures)
}

/// Locks the address out of the email until `until`, or longer if a
/// concurrent failure already locked it for longer.
pub fn lock(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    crate::db::raw::sql(
        "UPDATE sign_in_addresses SET locked_until = $1 \
         WHERE email = $2 AND client_ip = $3 AND (locked_until IS NULL OR locked_until < $1)",
    )
    .bind::<Timestamp, _>(until)
    .bind::<Text, _>(email)
    .bind::<Text, _>(client_ip)
    .execute(conn)
}

/// Locks new addresses out of the email until `until` (or longer, as above).
pub fn lock_email(
    conn: &mut AnyConnection,
    email: &str,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    crate::db::raw::sql(
        "UPDATE sign_in_emails SET locked_until = $1 \
         WHERE email = $2 AND (locked_until IS NULL OR locked_until < $1)",
    )
    .bind::<Timestamp, _>(until)
    .bind::<Text, _>(email)
    .execute(conn)
}

/// A successful sign-in: the counts start again, the locks on the email
/// lift, and the address is known.
pub fn record_success(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    crate::db::raw::sql(
        "INSERT INTO sign_in_addresses (email, client_ip, failures, last_success_at) \
         VALUES ($1, $2, 0, $3) \
         ON CONFLICT (email, client_ip) DO UPDATE \
         SET failures = 0, locked_until = NULL, last_success_at = excluded.last_success_at",
    )
    .bind::<Text, _>(email)
    .bind::<Text, _>(client_ip)
    .bind::<Timestamp, _>(now)
    .execute(conn)?;
    diesel::delete(e::table.find(email)).execute(conn)
}

/// Lifts every lock on an email (its owner proved control of the mailbox).
pub fn clear_email(conn: &mut AnyConnection, email: &str) -> QueryResult<usize> {
    diesel::update(t::table.filter(t::email.eq(email)))
        .set((t::failures.eq(0), t::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    diesel::delete(e::table.find(email)).execute(conn)
}
