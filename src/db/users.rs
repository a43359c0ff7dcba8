//! The `users` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<usize> {
        diesel::insert_into(users::table).values(new).execute(conn)
    }

    /// Counts a failed sign-in from any address; returns the failures in a row.
    pub fn record_failed_login(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<i32> {
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(users::failed_logins + 1),
                users::updated_at.eq(now),
            ))
            .returning(users::failed_logins)
            .get_result(conn)
    }

    /// Locks sign-in from addresses the account has not signed in from before.
    pub fn lock(conn: &mut AnyConnection, id: &str, until: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::locked_until.eq(Some(until)))
            .execute(conn)
    }

    /// Claims the right to email the owner about failed sign-ins: true for
    /// one caller, unless the owner was alerted after `quiet_since`.
    pub fn claim_sign_in_alert(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
        quiet_since: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table.find(id).filter(
                users::sign_in_alert_at
                    .is_null()
                    .or(users::sign_in_alert_at.lt(quiet_since)),
            ),
        )
        .set(users::sign_in_alert_at.eq(Some(now)))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Disables (`Some(now)`) or re-enables (`None`) an account.
    pub fn set_disabled(
        conn: &mut AnyConnection,
        id: &str,
        disabled_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::disabled_at.eq(disabled_at),
                users::updated_at.eq(now),
            ))
            .execute(conn)
    }

    pub fn clear_failed_logins(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    }

    pub fn mark_email_verified(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::email_verified_at.is_null()),
        )
        .set((
            users::email_verified_at.eq(Some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
    }

    pub fn set_password_hash(
        conn: &mut AnyConnection,
        id: &str,
        hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
                users::updated_at.eq(now),
            ))
            .execute(conn)
    }
}
