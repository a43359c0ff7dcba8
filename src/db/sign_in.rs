//! `sign_in_addresses`: failed sign-ins per (email, client address), with the
//! lock they earned, and the addresses an account has signed in from.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::schema::sign_in_addresses as t;
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

#[derive(QueryableByName)]
struct Failures {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    failures: i32,
}

/// Counts one failure; returns the failures in a row from this address.
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

pub fn lock(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(t::table.find((email, client_ip)))
        .set(t::locked_until.eq(Some(until)))
        .execute(conn)
}

/// A successful sign-in: the count starts again, and the address is known.
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
    .execute(conn)
}

/// Lifts every lock on an email (its owner proved control of the mailbox).
pub fn clear_email(conn: &mut AnyConnection, email: &str) -> QueryResult<usize> {
    diesel::update(t::table.filter(t::email.eq(email)))
        .set((t::failures.eq(0), t::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)
}
